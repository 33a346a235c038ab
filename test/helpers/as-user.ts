/**
 * The command prefix that runs the rest as user `uid`: its own group, no
 * supplementary groups, no inheritable capabilities (what a service user
 * has). Root only; setpriv is util-linux's.
 */
export function asUser(uid: number): string[] {
  return ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--inh-caps=-all"];
}
