# Sourced by the benchmarks that run benchmarks/s3/mirror.yaml:
#   write_mirror_profile ENDPOINT FILE
# writes the profile whose target `store` is ENDPOINT. The keys reach runbook through the
# environment (RUNBOOK_S3_BENCH_ACCESS_KEY, RUNBOOK_S3_BENCH_SECRET_KEY), as its secrets say; never argv.
write_mirror_profile() {
  cat >"$2" <<YAML
profile: bench
secrets:
  access_key: {env: RUNBOOK_S3_BENCH_ACCESS_KEY}
  secret_key: {env: RUNBOOK_S3_BENCH_SECRET_KEY}
targets:
  store:
    s3: {endpoint: "$1", region: us-east-1, access_key: "\${secrets.access_key}", secret_key: "\${secrets.secret_key}"}
YAML
}
