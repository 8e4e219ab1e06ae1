#!/bin/sh
# What a script does with left4me's JSON API (docs/api.md): install the
# game if it is missing, create a server, start it, follow the job until
# it succeeded, see the server running, stop it, delete it. Needs curl
# and jq.
#
# Against `make run` (the fake host on ./var/left4me.db), from the
# repository, with an admin called ann:
#
#   LEFT4ME_TOKEN=$(LEFT4ME_DB=var/left4me.db bin/left4me create-token ann api-example) \
#     docs/api-example.sh
#
# Variables: LEFT4ME_TOKEN (required: an admin's API token), LEFT4ME_URL
# (default http://127.0.0.1:8080), SERVER (the server to create, default
# api-example). Exits non-zero at the first step that fails.
set -eu

url=${LEFT4ME_URL:-http://127.0.0.1:8080}
server=${SERVER:-api-example}
: "${LEFT4ME_TOKEN:?set LEFT4ME_TOKEN to an admin API token (left4me create-token USER NAME)}"

# The token goes to curl in a private file, never on a command line
# (where any user could read it in the process list).
header=$(mktemp)
trap 'rm -f "$header"' EXIT
chmod 600 "$header"
printf 'Authorization: Bearer %s\n' "$LEFT4ME_TOKEN" >"$header"

# api METHOD PATH [JSON]: one request; prints the answer's body, fails
# with the API's error sentence on any status but 2xx. A 429 waits and
# tries again.
api() {
	while :; do
		if [ -n "${3:-}" ]; then
			api_out=$(curl -sS -X "$1" -H "@$header" -H 'Accept: application/json' -w '\n%{http_code}' \
				-H 'Content-Type: application/json' --data-raw "$3" "$url$2")
		else
			api_out=$(curl -sS -X "$1" -H "@$header" -H 'Accept: application/json' -w '\n%{http_code}' "$url$2")
		fi
		api_status=$(printf '%s\n' "$api_out" | tail -n 1)
		api_out=$(printf '%s\n' "$api_out" | sed '$d')
		[ "$api_status" = 429 ] || break
		sleep 2
	done
	case $api_status in
	2??) printf '%s\n' "$api_out" ;;
	*)
		printf '%s %s: %s %s\n' "$1" "$2" "$api_status" "$(printf '%s' "$api_out" | jq -r '.error? // .')" >&2
		return 1
		;;
	esac
}

# follow JOB: prints the job's output lines as they come, until it ends;
# fails unless it succeeded.
follow() {
	follow_after=0
	while :; do
		follow_job=$(api GET "/api/v1/jobs/$1?after=$follow_after")
		printf '%s' "$follow_job" | jq -r '.lines[] | "  | \(.text)"'
		follow_after=$(printf '%s' "$follow_job" | jq -r '.after')
		case $(printf '%s' "$follow_job" | jq -r '.state') in
		succeeded) return 0 ;;
		failed | cancelled)
			echo "job $1 did not succeed: $(printf '%s' "$follow_job" | jq -r '"\(.state): \(.reason)"')" >&2
			return 1
			;;
		esac
		sleep 1
	done
}

# wait_state STATE: polls the server until its actual_state is STATE
# (60 s at most).
wait_state() {
	wait_tries=0
	while [ "$wait_tries" -lt 60 ]; do
		wait_got=$(api GET "/api/v1/servers/$server")
		wait_got=$(printf '%s' "$wait_got" | jq -r '.actual_state')
		if [ "$wait_got" = "$1" ]; then
			echo "  $server is $wait_got"
			return 0
		fi
		wait_tries=$((wait_tries + 1))
		sleep 1
	done
	echo "$server is still $wait_got after 60 s, want $1" >&2
	return 1
}

# Each answer is kept before jq reads it, so that a failed request stops
# the script (set -e does not see a failure inside a pipeline).
game=$(api GET /api/v1/game)
if [ "$(printf '%s' "$game" | jq -r '.installed')" = true ]; then
	printf '%s' "$game" | jq -r '"the game is installed: build \(.buildid), \(.size_bytes) bytes in \(.path)"'
else
	echo "install the game"
	job=$(api POST /api/v1/game/install)
	follow "$(printf '%s' "$job" | jq -r '.id')"
fi

echo "create $server"
created=$(api POST /api/v1/servers "$(jq -nc --arg name "$server" '{name: $name, title: "made by api-example.sh"}')")
printf '%s' "$created" | jq -r '"  port \(.port), blueprint \(.blueprint)"'

for step in start stop; do
	echo "$step $server"
	job=$(api POST "/api/v1/servers/$server/$step")
	follow "$(printf '%s' "$job" | jq -r '.id')"
	if [ "$step" = start ]; then wait_state running; else wait_state stopped; fi
done

echo "history of $server"
history=$(api GET "/api/v1/servers/$server/history")
printf '%s' "$history" | jq -r '.history[] | "  \(.at) \(.old_state) -> \(.new_state): \(.reason)"'

echo "delete $server"
job=$(api DELETE "/api/v1/servers/$server")
follow "$(printf '%s' "$job" | jq -r '.id')"
echo "done"
