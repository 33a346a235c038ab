#!/usr/bin/env bun
/** Entry point of the smolmesh executable. */
import { runCli } from "./app.ts";

process.exitCode = await runCli(process.argv.slice(2));
