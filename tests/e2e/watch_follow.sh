#!/usr/bin/env bash
# watch_follow.sh -- kubeharden watch over files and stdin: a batch run
# reads to the end and exits with the alert status; --follow picks up lines
# as they are written (a line written in two pieces is judged once whole),
# survives rotation (the file renamed and a new one created: the rest of the
# old one is read, then the new one from its start) and truncation
# (copytruncate), and stops on SIGTERM. Every wait is bounded.
set -u
. "$(dirname "$0")/lib/check.bash"

ev() { # auditID user second -> an exec event by user
    printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete","verb":"create","user":{"username":"%s"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"stageTimestamp":"2026-11-30T10:00:%02d.000000Z"}\n' "$1" "$2" "$3"
}
wait_lines() { # file count: wait at most 10 s for the file to have count lines
    for _ in $(seq 100); do
        [ "$(wc -l < "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# Batch: stdin, exit status by --fail-on.
ev a1 alice 1 > one.jsonl
"$bin" watch - < one.jsonl > out 2> err
check "an alert at or above --fail-on (low) exits 1" 1 $?
contains "the alert names the rule" out '"rule":"audit.pod-exec"'
contains "stdin is labelled" out '"file":"<stdin>"'
"$bin" watch --fail-on high one.jsonl > /dev/null
check "a medium alert under --fail-on high exits 0" 0 $?
"$bin" watch --rule audit.secret-read one.jsonl > out
check "--rule runs only that rule" 0 $?
check "no alert from the other rules" 0 "$(wc -c < out)"
"$bin" watch --rule pss.baseline.privileged one.jsonl 2> err
check "--rule of another area is a usage error" 2 $?
ev a2 bob 2 | timeout 10 "$bin" watch --follow --fail-on never - > out
check "--follow on a pipe ends when its writer is gone" 0 $?
contains "after judging it" out '"auditID":"a2"'
"$bin" watch --help > out
check "--help" 0 $?
contains "--help names the sinks" out "syslog+tcp://HOST:PORT"

# Follow: appends, a line in two pieces, rotation, truncation.
: > audit.log
"$bin" watch --follow --poll-interval 20 --fail-on never audit.log > alerts 2> ferr &
wpid=$!
ev f1 u1 1 >> audit.log
wait_lines alerts 1; check "an appended line is judged" 0 $?
line=$(ev f2 u2 2)
printf '%s' "${line:0:50}" >> audit.log
sleep 0.3
check "half a line is not judged yet" 1 "$(wc -l < alerts)"
printf '%s\n' "${line:50}" >> audit.log
wait_lines alerts 2; check "the completed line is judged once" 0 $?
mv audit.log audit.log.1
ev f3 u3 3 >> audit.log.1          # written to the old file after the rename
ev f4 u4 4 > audit.log             # the new file
wait_lines alerts 4; check "rotation: the old file's rest and the new file are read" 0 $?
ev f5 u5 5 >> audit.log
wait_lines alerts 5; check "the new file is followed" 0 $?
: > audit.log                      # copytruncate
sleep 0.3
ev f6 u6 6 >> audit.log
wait_lines alerts 6; check "truncation: reading restarts at the start" 0 $?
kill -TERM "$wpid"
for _ in $(seq 50); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$wpid" 2>/dev/null && { echo "FAIL: watch did not stop on SIGTERM"; kill -9 "$wpid"; fails=$((fails + 1)); }
wait "$wpid"
check "SIGTERM stops --follow with status 0" 0 $?
for id in f1 f2 f3 f4 f5 f6; do
    check "event $id alerted exactly once" 1 "$(grep -c "\"auditID\":\"$id\"" alerts)"
done
check "no error while following" 0 "$(wc -c < ferr)"
exit $((fails > 0))
