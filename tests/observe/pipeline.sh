# A shell pipeline whose sort and head stages tell their pid and parent,
# then exec the real command in the same process: printf | sort | head.
printf '{"shell":%d}\n' $$ >>"$OBSERVE_TRUTH"
stage='printf "{\"stage\":\"%s\",\"pid\":%d,\"ppid\":%d}\n" "$0" $$ $PPID >>"$OBSERVE_TRUTH"; exec "$@"'
printf 'b\na\n' | sh -c "$stage" sort sort | sh -c "$stage" head head -n 1
