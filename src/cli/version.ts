/** The version, from package.json (embedded in the executable at build time). */
import pkg from "../../package.json" with { type: "json" };

export const VERSION_TEXT: string = pkg.version;
