/**
 * The exit codes as script authors read them (`tug --help`, docs/skopeo.md).
 * skopeo exits 1 for every failure; tug's 2-5 refine that 1, so a script
 * that tests `!= 0` works unchanged and one that wants to retry can tell a
 * transient failure (4) from a wrong name or password.
 */
export const EXIT_CODES_HELP = `Exit codes (skopeo exits 1 for any failure; tug refines it, every failure is still non-zero):
  0  success
  1  failure (not found, refused by the registry, a local I/O error, --command-timeout or Ctrl-C)
  2  usage or unsafe input: a bad flag, name or file; nothing was done
  3  integrity: bytes did not match their digest, or a policy refused the image; nothing was tagged
  4  transient: network or registry errors that outlived the retries; running again may succeed
  5  authentication or TLS: wrong credentials, untrusted certificate`;
