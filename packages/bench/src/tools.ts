import { log, sh } from './util.js';

export interface Tools {
  /** `aws --version`, or undefined when the AWS CLI is missing (the pipeline baseline is skipped). */
  aws: string | undefined;
  /** `zstd --version` (the pipeline and the local ceiling need it). */
  zstd: string | undefined;
  tar: string | undefined;
  /** Why the shell pipeline cannot run, when it cannot. */
  pipelineSkipped: string | undefined;
}

async function version(command: string): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await sh(`${command} 2>&1`);
    return (stdout || stderr).split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function probe(): Promise<Omit<Tools, 'pipelineSkipped'>> {
  return {
    aws: await version('aws --version'),
    zstd: await version('zstd --version'),
    tar: await version('tar --version'),
  };
}

/**
 * The command line tools of the replaced pipeline. When `aws` or `zstd` is missing and `install` is
 * true, installs them from Debian (`apt-get install -y awscli zstd`, needs root); if that is not
 * possible the baseline is skipped and the reason reported.
 */
export async function ensureTools(install: boolean): Promise<Tools> {
  let tools = await probe();
  if ((!tools.aws || !tools.zstd) && install) {
    const canApt = process.getuid?.() === 0 && (await version('command -v apt-get')) !== undefined;
    if (canApt) {
      log(
        'installing awscli and zstd from Debian for the pipeline baseline (apt-get install -y awscli zstd)',
      );
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const cmd = 'apt-get install -y --no-install-recommends awscli zstd';
      try {
        await sh(cmd, env);
      } catch {
        // A fresh machine's package lists may be empty or stale.
        await sh(`apt-get update && ${cmd}`, env).catch((err: unknown) => log(`apt-get failed: ${err}`));
      }
      tools = await probe();
    } else {
      log('aws/zstd missing and cannot install them (needs root and apt-get)');
    }
  }
  const missing = (['aws', 'zstd', 'tar'] as const).filter((t) => !tools[t]);
  const pipelineSkipped =
    missing.length > 0
      ? `${missing.join(', ')} not installed${install ? ' and could not be installed' : ' (--no-install)'}: ` +
        'pipeline baseline skipped (install with `apt-get install -y awscli zstd`)'
      : undefined;
  if (pipelineSkipped) log(pipelineSkipped);
  return { ...tools, pipelineSkipped };
}
