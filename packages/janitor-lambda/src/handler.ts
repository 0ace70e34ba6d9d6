// Lambda entry point. Environment: S3CACHE_BUCKET, S3CACHE_PREFIX (optional), S3CACHE_POLICY (JSON policy).
export async function handler(): Promise<{ ok: boolean }> {
  throw new Error('janitor not implemented yet');
}
