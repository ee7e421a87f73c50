/**
 * One copier for the uncompressed tar stream of a save: from stdin to stdout and to each output path given, like
 * tee. The gzip shim runs it between Pizlix's tar and the compressor.
 *
 * Why not coreutils tee: on a 2-core runner zstd already keeps both cores busy, and tee's 8 KiB reads and writes
 * through 64 KiB pipes cost more than the digest's hashing (the save took 1.5× its time with a digest). When the
 * input is a pipe, this copier uses Linux's tee(2) to duplicate the pipe's pages into each output pipe and splice(2)
 * to move them to stdout: the bytes are never copied through user space, and pipes are enlarged to 1 MiB so each
 * call moves a lot. Elsewhere (input not a pipe, an output not a pipe, another kernel or architecture) it falls back
 * to 1 MiB reads and writes. Node has neither tee(2), splice(2) nor fcntl; Perl (perl-base is essential on Debian and
 * Ubuntu) reaches them through syscall(). With PIZLIX_PIPE_TEE_REPORT set it says on stderr how many bytes it copied.
 */
import os from 'node:os';

/** tee(2) and splice(2) numbers of the architectures runners use; others take the copying path. */
const SYSCALLS: Record<string, { splice: number; tee: number }> = {
  x64: { splice: 275, tee: 276 },
  arm64: { splice: 76, tee: 77 },
};

const F_SETPIPE_SZ = 1031;
const CHUNK = 1 << 20;

/** The Perl program (for `perl -e`), with this machine's syscall numbers. */
export function pipeTeeProgram(arch: string = os.arch()): string {
  const numbers = SYSCALLS[arch] ?? { splice: -1, tee: -1 };
  return `use strict; my ($SPLICE, $TEE, $CHUNK) = (${numbers.splice}, ${numbers.tee}, ${CHUNK});
my $in = \\*STDIN;
my @outs = map { open(my $fh, '>', $_) or die "$_: $!\\n"; $fh } @ARGV;
for my $fh ($in, \\*STDOUT, @outs) { fcntl($fh, ${F_SETPIPE_SZ}, $CHUNK); binmode $fh; }
sub put { my ($fh, $buf, $n) = @_; my $off = 0; while ($off < $n) { my $w = syswrite($fh, $$buf, $n - $off, $off); die "write: $!\\n" unless defined $w; $off += $w; } }
my ($total, $copied) = (0, 0);
sub done { printf STDERR "pipe-tee: %d of %d bytes copied through user space\\n", $copied, $total if $ENV{PIZLIX_PIPE_TEE_REPORT}; exit 0; }
sub copy { my $buf; while (1) { my $n = sysread($in, $buf, $CHUNK); die "read: $!\\n" unless defined $n; done() if $n == 0; put($_, \\$buf, $n) for (\\*STDOUT, @outs); $total += $n; $copied += $n; } }
# Zero-copy while the input is a pipe and there is at most one output (tee(2) cannot be told where to start, so a
# second output that took only part of a chunk could not be given the rest). A call the kernel refuses (a file
# that takes no splice, say) switches to copying from where the stream is; nothing is sent twice or lost.
my $zero = $SPLICE >= 0 && @outs <= 1;
while ($zero) {
  my $n = $CHUNK;
  if (@outs) {
    $n = syscall($TEE, fileno($in), fileno($outs[0]), $CHUNK, 0);
    if ($n < 0) { $zero = 0; last; }
    done() if $n == 0;
  }
  my $left = $n;
  while ($left > 0) {
    my $s = syscall($SPLICE, fileno($in), 0, fileno(STDOUT), 0, $left, 1);
    if ($s < 0) {
      # The output already holds these $left bytes; stdout gets them by copying.
      while (@outs && $left > 0) { my $buf; my $r = sysread($in, $buf, $left); die "read: $!\\n" unless $r; put(\\*STDOUT, \\$buf, $r); $left -= $r; $total += $r; $copied += $r; }
      $zero = 0; last;
    }
    if ($s == 0) { done() unless @outs; die "splice: the input ended inside a chunk\\n"; }
    $left -= $s; $total += $s;
    last unless @outs;
  }
}
copy();`;
}
