/**
 * Platforms: parsing `linux/arm64/v8`, the host's own platform, and matching
 * index entries the way containerd's platforms package does (arm64 implies
 * v8; arm defaults to v7; amd64 has no variant by default).
 */
import { arch as hostArch } from 'node:process';
import { TugError } from '../errors/index.ts';
import type { Platform } from './manifest.ts';

const NODE_TO_OCI_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

const PART_RE = /^[a-z0-9_.-]{1,32}$/;

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !PART_RE.test(p))) {
    throw new TugError('USAGE', `invalid platform "${s}"`, { hint: 'expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8' });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

/** Parses a comma-separated list: `linux/amd64,linux/arm64`. */
export function parsePlatformList(s: string): Platform[] {
  return s.split(',').map((p) => p.trim()).filter(Boolean).map(parsePlatform);
}

export function normalizePlatform(p: Platform): Platform {
  const out: Platform = { os: p.os.toLowerCase(), architecture: p.architecture.toLowerCase() };
  let variant = p.variant?.toLowerCase();
  if (out.architecture === 'aarch64') out.architecture = 'arm64';
  if (out.architecture === 'x86_64' || out.architecture === 'x86-64') out.architecture = 'amd64';
  if (out.architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (out.architecture === 'arm' && variant === undefined) variant = 'v7';
  if (variant) out.variant = variant;
  return out;
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** True when `candidate` (from an index entry) satisfies `wanted`. A wanted platform without a variant matches any variant. */
export function platformMatches(wanted: Platform, candidate: Platform | undefined): boolean {
  if (!candidate) return false;
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  return w.variant === undefined || w.variant === c.variant;
}

/** The platform this process runs on, with `override*` options applied (skopeo's --override-os/arch/variant). */
export function hostPlatform(overrides: { os?: string | undefined; arch?: string | undefined; variant?: string | undefined } = {}): Platform {
  const os = overrides.os ?? (process.platform === 'win32' ? 'windows' : process.platform);
  const architecture = overrides.arch ?? NODE_TO_OCI_ARCH[hostArch] ?? hostArch;
  return normalizePlatform(overrides.variant ? { os, architecture, variant: overrides.variant } : { os, architecture });
}
