#!/usr/bin/perl
# cuda_emu (see device.hpp): copies a .cu or .cuh file with every kernel launch
#   kernel<<<grid, block, shared, stream>>>(args...)
# rewritten into plain C++,
#   ::cudaemu::launch(::cudaemu::Config(grid, block, shared, stream), <kernel as a callable>, args...)
# and a #line directive, so that compiler messages name the original file and line.
use strict;
use warnings;

my ($in, $out) = @ARGV;
die "usage: launches.pl IN OUT\n" unless defined $out;
open(my $fh, '<', $in) or die "launches.pl: cannot read $in: $!\n";
my $text = do { local $/; <$fh> };
close $fh;

# The kernel: a possibly qualified name with at most one level of template arguments.
# A generic lambda stands for it, so that template arguments are still deduced.
my $kernel = qr/\b([A-Za-z_][\w:]*(?:<[^<>;()]*>)?)/;
$text =~ s{$kernel\s*<<<(.*?)>>>\s*\(\s*\)}
          {::cudaemu::launch(::cudaemu::Config($2), [](const auto&... cudaemu_args) { $1(cudaemu_args...); })}gs;
$text =~ s{$kernel\s*<<<(.*?)>>>\s*\(}
          {::cudaemu::launch(::cudaemu::Config($2), [](const auto&... cudaemu_args) { $1(cudaemu_args...); }, }gs;
die "launches.pl: $in: a launch was not rewritten\n" if $text =~ /<<</;

open(my $o, '>', "$out.tmp") or die "launches.pl: cannot write $out.tmp: $!\n";
print $o "#line 1 \"$in\"\n", $text;
close $o or die "launches.pl: cannot write $out.tmp: $!\n";
rename("$out.tmp", $out) or die "launches.pl: cannot rename to $out: $!\n";
