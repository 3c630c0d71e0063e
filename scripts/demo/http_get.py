"""GET a URL and print the body; exit 0 on a 2xx answer, 1 on any other answer, 2 when
nothing answers. Used by scripts/demo.sh and the Docker tests instead of curl, which a
fresh machine may lack. Usage: python3 http_get.py URL [TIMEOUT_SECONDS]"""
import sys
import urllib.error
import urllib.request

url = sys.argv[1]
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 5
try:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        sys.stdout.write(response.read().decode("utf-8", "replace"))
except urllib.error.HTTPError as error:
    sys.stdout.write(error.read().decode("utf-8", "replace"))
    sys.exit(1)
except (urllib.error.URLError, OSError) as error:
    sys.stderr.write(f"{url}: {error}\n")
    sys.exit(2)
