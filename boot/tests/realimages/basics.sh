# bash, coreutils, grep, sed, find, sort, awk-less text processing: deterministic output.
set -e
cd /tmp
mkdir -p work/a/b work/c
printf 'alpha\nbeta\ngamma\ndelta\n' > work/a/words
seq 1 20 > work/a/b/nums
echo "x y z" > work/c/line
find work -type f | sort
find work -name 'n*' -type f -exec wc -l {} \;
grep -c a work/a/words
grep -n '^[bd]' work/a/words
sed -e 's/a/A/g' -e '/gAmmA/d' work/a/words
sort -r work/a/words | head -2
paste -sd+ work/a/b/nums | bc 2>/dev/null || echo "sum $(( $(paste -sd+ work/a/b/nums) ))"
tr ' ' '\n' < work/c/line | tac
cut -c1-3 work/a/words | uniq | tr -d '\n'; echo
printf '%05d|%-5s|%x\n' 42 ab 255
ln -s a/words work/link; readlink work/link; cat work/link | wc -c
stat -c '%s %F' work/a/words work/a
chmod 640 work/a/words; stat -c '%a' work/a/words
declare -A m=([k1]=v1 [k2]=v2); for k in $(echo "${!m[@]}" | tr ' ' '\n' | sort); do echo "$k=${m[$k]}"; done
arr=(3 1 2); echo "${#arr[@]} ${arr[*]}"
echo $(( 7 ** 3 % 10 )) ${HOME:-nohome}
( exit 3 ) || echo "subshell status $?"
cat work/a/words | while read w; do echo -n "${#w} "; done; echo
md5sum work/a/words | cut -d' ' -f1
sha256sum work/a/b/nums | cut -d' ' -f1
tar -C work --sort=name -cf - a | tar -tf -
xargs -n 2 echo < work/a/words
du -s --apparent-size -b work/a/words
date -u -d @0 +%Y-%m-%dT%H:%M:%S
env | grep -c '^PATH='
rm -r work; ls
echo done
