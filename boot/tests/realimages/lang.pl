# Perl: regexes, hashes, sprintf, pack, files, fork.
use strict; use warnings;
my %h = (apple => 3, pear => 5, fig => 1);
print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
my @s = sort { $h{$b} <=> $h{$a} } keys %h; print "@s\n";
my $t = "The quick brown fox jumps over the lazy dog";
my @w = ($t =~ /\b(\w{5})\b/g); print "@w\n";
(my $u = $t) =~ s/(\w+)/\u$1/g; print "$u\n";
printf("%08.3f|%-6s|%x|%e\n", 3.14159, "ab", 48879, 12345.678);
print unpack("H*", pack("NnC", 0xdeadbeef, 513, 7)), "\n";
open(my $fh, ">", "/tmp/perl.txt") or die; print $fh "line $_\n" for 1..5; close $fh;
open($fh, "<", "/tmp/perl.txt") or die; my @lines = <$fh>; close $fh;
print scalar(@lines), " lines, last: $lines[-1]";
my $pid = fork(); if ($pid == 0) { exit 5 } waitpid($pid, 0); print "child ", $? >> 8, "\n";
my $out = `echo from backticks`; print $out;
my $sum = 0; $sum += $_ for 1..100000; print "$sum\n";
print join(" ", reverse split //, "cyrius"), "\n";
print "perl done\n";
