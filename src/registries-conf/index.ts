/**
 * containers-registries.conf(5): parsing (registries-conf.ts), finding and
 * reading the machine's files (load.ts) and what they say about a name
 * (resolve.ts). Sits between credentials/ and distribution/; only the docker
 * transport applies it.
 */
export { mergeRegistriesConf, parseRegistriesConf } from './registries-conf.ts';
export type { MirrorEndpoint, PullFromMirror, RegistriesConfig, RegistryEndpoint, RegistryEntry, ShortNameMode } from './registries-conf.ts';
export { SYSTEM_REGISTRIES_CONF, SYSTEM_REGISTRIES_CONF_DIR, emptyRegistriesConfig, loadRegistriesConf, readRegistriesConf, registriesConfPaths } from './load.ts';
export type { RegistriesConfOptions } from './load.ts';
export { blockedError, findRegistry, locationPolicy, pullSources } from './resolve.ts';
export type { PullSource } from './resolve.ts';
