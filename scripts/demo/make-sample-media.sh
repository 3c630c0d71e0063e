#!/usr/bin/env bash
# Writes AqStream-like sample media into DIR (used by scripts/demo.sh and the Docker tests):
# nested keys, names with spaces and Cyrillic, an empty object, small binaries, and one
# object large enough (9 MiB) that S3 clients upload it in parts.
set -euo pipefail
dir=${1:?usage: make-sample-media.sh DIR}
mkdir -p "$dir/events/2024/01" "$dir/avatars" "$dir/documents/договоры"
for i in $(seq 1 40); do
  head -c $((i * 1531)) /dev/urandom > "$dir/events/2024/01/poster-$i.jpg"
done
for i in $(seq 1 25); do
  head -c $((512 + i * 97)) /dev/urandom > "$dir/avatars/user-$i.png"
done
: > "$dir/avatars/empty.png"
printf 'Договор оферты, редакция %s\n' 3 > "$dir/documents/договоры/оферта v3.txt"
printf 'id,title\n1,"Event with ""quotes"""\n' > "$dir/documents/events export.csv"
head -c $((9 * 1024 * 1024)) /dev/urandom > "$dir/documents/recording.bin"
