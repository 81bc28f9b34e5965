using System.Buffers.Binary;
using System.Diagnostics;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux;
using Isa.Runtime.Loaders.Elf;
using Isa.Tests.Loaders;

namespace Isa.Tests.Linux;

/// <summary>
/// Misbehaving guests end with a clear message naming the signal, the guest PC and the registers,
/// and the exit status a shell would see under qemu-user, never a host crash.
/// </summary>
public sealed class GuestFaultTests
{
    [Fact]
    public void JumpToUnmappedMemoryIsASegmentationFault()
    {
        // lui t0, 0x1234; jr t0; nop
        (int status, string error) = Run([0x3c081234, 0x01000008, 0x00000000]);
        Assert.Equal(128 + 11, status);
        Assert.Contains("SIGSEGV", error);
        Assert.Contains("pc 0x12340000", error);
        Assert.Contains("t0=12340000", error);
    }

    [Fact]
    public void IllegalInstructionIsSigill()
    {
        // a reserved primary opcode (0x3b)
        (int status, string error) = Run([0xec000000]);
        Assert.Equal(128 + 4, status);
        Assert.Contains("SIGILL", error);
        Assert.Contains("IllegalInstruction at pc 0x004", error);
    }

    [Fact]
    public void FaultKillsTheEmulatorByTheGuestsSignal()
    {
        // lui t0, 0x1234; jr t0; nop -- under bash, which names the signal that ended its child
        string path = WriteGuest([0x3c081234, 0x01000008, 0x00000000]);
        try
        {
            // bash reports on stderr a child killed by a signal, and nothing for one that exits with 139
            string script = $"dotnet {RepoPaths.IsaDll} run {path} 2>/dev/null; echo status=$? >&2";
            var start = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true };
            using Process process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "isa run did not finish");
            Assert.Contains("status=139", error);
            Assert.Contains("Segmentation fault", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FaultRunsTheGuestsHandler()
    {
        uint[] code =
        [
            0x04110001, 0x00000000, // bal 1f; nop
            0x03e04025, 0x25080040, // 1: move t0, ra; addiu t0, t0, handler - 1b
            0x27bdffe0, 0xafa00000, 0xafa80004, 0xafa00008, 0xafa0000c, 0xafa00010, 0xafa00014, // struct sigaction {0, t0, {0}} at sp
            0x24040004, 0x03a02825, 0x00003025, 0x24070010, 0x24021062, 0x0000000c, // rt_sigaction(SIGILL, sp, NULL, 16)
            0xec000000, // a reserved opcode
            0x24840026, 0x24020fa1, 0x0000000c, // handler: exit(a0 + 38)
        ];
        (int status, string error) = Run(code);
        Assert.Equal(4 + 38, status);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HandlerReturnsThroughSigreturnWithTheContextItEdited(bool strace)
    {
        uint[] code =
        [
            0x04110001, 0x00000000, // bal 1f; nop
            0x03e04025, 0x25080064, // 1: move t0, ra; addiu t0, t0, handler - 1b
            0x27bdffe0, 0xafa00000, 0xafa80004, 0xafa00008, 0xafa0000c, 0xafa00010, 0xafa00014, // struct sigaction {0, t0, {0}} at sp
            0x24040010, 0x03a02825, 0x00003025, 0x24070010, 0x24021062, 0x0000000c, // rt_sigaction(SIGUSR1 = 16, sp, NULL, 16)
            0x24100007, // li s0, 7
            0x24020fb4, 0x0000000c, 0x00402025, 0x24050010, 0x24020fc5, 0x0000000c, // kill(getpid(), SIGUSR1)
            0x02002025, 0x24020fa1, 0x0000000c, // exit(s0)
            0x2409002a, 0xacc900a8, 0x03e00008, 0x00000000, // handler: uc_mcontext.sc_regs[16] = 42 (a2 = &ucontext); return
        ];
        (int status, string error) = strace ? Run(code, "--strace") : Run(code);
        Assert.Equal(42, status);
        if (!strace)
        {
            Assert.Equal("", error);
            return;
        }

        // strace's notation for the signal syscalls and for a delivery
        Assert.Matches(@"rt_sigaction\(SIGUSR1, \{sa_handler=0x[0-9a-f]+, sa_mask=\[\], sa_flags=0\}, NULL, 16\) = 0", error);
        Assert.Matches(@"kill\(\d+, SIGUSR1\) = 0", error);
        Assert.Matches(@"--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=\d+, si_uid=\d+\} ---", error);
        Assert.Contains("rt_sigreturn() = 0", error);
    }

    /// <summary>
    /// Timer signals land at slice ends anywhere in a three-instruction loop, so some stop the CPU in
    /// the branch's delay slot: the frame must resume at the branch (the kernel's EPC with BD), or
    /// the loop would be left early with fewer ticks counted.
    /// </summary>
    [Fact]
    public void SignalInADelaySlotResumesAtTheBranch()
    {
        uint[] code =
        [
            0x04110001, 0x00000000, // bal 1f; nop
            0x03e04025, 0x25080080, // 1: move t0, ra; addiu t0, t0, handler - 1b
            0x27bdffe0, 0xafa00000, 0xafa80004, 0xafa00008, 0xafa0000c, 0xafa00010, 0xafa00014, // struct sigaction {0, t0, {0}} at sp
            0x2404000e, 0x03a02825, 0x00003025, 0x24070010, 0x24021062, 0x0000000c, // rt_sigaction(SIGALRM, sp, NULL, 16)
            0xafa00000, 0x240903e8, 0xafa90004, 0xafa00008, 0xafa9000c, // struct itimerval {{0, 1000}, {0, 1000}} at sp
            0x24040000, 0x03a02825, 0x00003025, 0x24021008, 0x0000000c, // setitimer(ITIMER_REAL, sp, NULL)
            0x240d000c, // li t5, 12
            0x26310001, 0x164dfffe, 0x26100001, // 2: addiu s1, s1, 1; bne s2, t5, 2b; addiu s0, s0, 1
            0x02402025, 0x24020fa1, 0x0000000c, // exit(s2)
            0x8ccb00b8, 0x256b0001, 0xaccb00b8, 0x03e00008, 0x00000000, // handler: uc_mcontext.sc_regs[18]++ (s2); return
        ];
        (int status, string error) = Run(code);
        Assert.Equal("", error);
        Assert.Equal(12, status);
    }

    [Fact]
    public void SignalFromOutsideReachesTheGuestsHandler()
    {
        uint[] code =
        [
            0x04110001, 0x00000000, // bal 1f; nop
            0x03e04025, 0x25080060, // 1: move t0, ra; addiu t0, t0, handler - 1b
            0x27bdffe0, 0xafa00000, 0xafa80004, 0xafa00008, 0xafa0000c, 0xafa00010, 0xafa00014, // struct sigaction {0, t0, {0}} at sp
            0x2404000f, 0x03a02825, 0x00003025, 0x24070010, 0x24021062, 0x0000000c, // rt_sigaction(SIGTERM, sp, NULL, 16)
            0x24040001, 0x2505000c, 0x24060006, 0x24020fa4, 0x0000000c, // write(1, "ready\n", 6)
            0x24020fbd, 0x0000000c, 0x1000fffd, 0x00000000, // for (;;) pause();
            0x24040021, 0x24020fa1, 0x0000000c, // handler: exit(33)
            0x64616572, 0x00000a79, // "ready\n"
        ];
        string path = WriteGuest(code);
        try
        {
            var start = new ProcessStartInfo("dotnet", [RepoPaths.IsaDll, "run", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process process = Process.Start(start)!;
            _ = process.StandardError.ReadToEndAsync();
            Assert.Equal("ready", process.StandardOutput.ReadLine());
            Assert.Equal(0, Kill(process.Id, 15));
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the guest did not take SIGTERM");
            Assert.Equal(33, process.ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public void RunawayGuestStopsAtTheTimeout()
    {
        // b . ; nop
        (int status, string error) = Run([0x1000ffff, 0x00000000], "--timeout", "0.5");
        Assert.Equal(124, status);
        Assert.Contains("still running", error);
    }

    [Fact]
    public void GuestBlockedInASyscallStopsAtTheTimeout()
    {
        // for (;;) pause();
        (int status, string error) = Run([0x24020fbd, 0x0000000c, 0x1000fffd, 0x00000000], "--timeout", "0.5");
        Assert.Equal(124, status);
        Assert.Contains("still running", error);
    }

    [Fact]
    public void ExitStatusIsTheGuests()
    {
        // li a0, 3; li v0, 4001 (exit); syscall
        (int status, string error) = Run([0x24040003, 0x24020fa1, 0x0000000c]);
        Assert.Equal(3, status);
        Assert.Equal("", error);
    }

    [Fact]
    public void MissingProgramInterpreterIsOneClearLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"isa-interp-{Guid.NewGuid():N}");
        var builder = new ElfBuilder(Endianness.Little) { EntrySymbol = "_start" };
        builder.AddSection(".interp", ElfSectionType.ProgBits, ElfSectionFlags.Alloc, [.. "/lib/no-such-ld.so"u8, 0])
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, new byte[8])
            .AddSymbol("_start", ".text", 0, 8, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSegment(ElfSegmentType.Interp, ElfSegmentFlags.Read, ".interp", ".interp")
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".interp", ".text");
        File.WriteAllBytes(path, builder.Build());
        try
        {
            (int status, string error) = Isa("run", path);
            Assert.Equal(2, status);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains("no-such-ld.so", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExitEndsOneThreadAndTheLastThreadDecidesTheStatus()
    {
        // clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, sp); the child calls
        // exit_group(7), the parent only exit(3) for its own thread: the process ends with 7.
        (int status, string error) = Run(
        [
            0x3c040001, 0x34840f00, // lui a0, 1; ori a0, a0, 0x0f00   flags 0x10f00
            0x03a02821,             // move a1, sp
            0x24021018, 0x0000000c, // li v0, 4120 (clone); syscall
            0x14400004, 0x00000000, // bnez v0, parent; nop
            0x24040007, 0x24021096, 0x0000000c, // child: li a0, 7; li v0, 4246 (exit_group); syscall
            0x24040003, 0x24020fa1, 0x0000000c, // parent: li a0, 3; li v0, 4001 (exit); syscall
        ]);
        Assert.Equal(7, status);
        Assert.Equal("", error);
    }

    [Fact]
    public void TkillOfItselfEndsTheProcessAsKilledByTheSignal()
    {
        (int status, string error) = Run(
        [
            0x2402107e, 0x0000000c, // li v0, 4222 (gettid); syscall
            0x00402021, 0x24050006, // move a0, v0; li a1, 6 (SIGABRT)
            0x2402108c, 0x0000000c, // li v0, 4236 (tkill); syscall
            0x24020fa1, 0x0000000c, // li v0, 4001 (exit); syscall: not reached
        ]);
        Assert.Equal(128 + 6, status);
        Assert.Contains("guest killed by SIGABRT at pc", error);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("987")]
    public void ABadForkSnapshotIsOneClearLine(string fd)
    {
        // the hidden option of fork children, without a snapshot behind it
        (int status, string error) = Isa("run", "--resume-fork", fd);
        Assert.Equal(2, status);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("--resume-fork", error);
    }

    /// <summary>getpid; kill(pid, SIGINT); exit(0).</summary>
    private static readonly uint[] InterruptsItself =
    [
        0x24020fb4, 0x0000000c, // li v0, 4020 (getpid); syscall
        0x00402021, 0x24050002, // move a0, v0; li a1, 2 (SIGINT)
        0x24020fc5, 0x0000000c, // li v0, 4037 (kill); syscall
        0x24040000, 0x24020fa1, 0x0000000c, // li a0, 0; li v0, 4001 (exit); syscall
    ];

    [Theory]
    [InlineData("2:0")] // SIGINT ignored before the exec
    [InlineData("0:2")] // SIGINT blocked before the exec
    public void ExecKeepsIgnoredSignalsAndTheMask(string state)
    {
        Assert.Equal(128 + 2, Run(InterruptsItself).Status);
        (int status, string error) = Run(InterruptsItself, GuestLauncher.SignalStateOption, state);
        Assert.Equal(0, status);
        Assert.Equal("", error);
    }

    [Fact]
    public void ABadSignalStateIsOneClearLine()
    {
        (int status, string error) = Run(InterruptsItself, GuestLauncher.SignalStateOption, "ignored");
        Assert.Equal(2, status);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(GuestLauncher.SignalStateOption, error);
    }

    private static (int Status, string Error) Run(uint[] code, params string[] options)
    {
        string path = WriteGuest(code);
        try
        {
            return Isa(["run", .. options, path]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A little-endian MIPS ELF whose whole text is <paramref name="code"/>, in a temporary file.</summary>
    private static string WriteGuest(uint[] code)
    {
        var bytes = new byte[code.Length * 4];
        for (int i = 0; i < code.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), code[i]);
        }

        var builder = new ElfBuilder(Endianness.Little) { EntrySymbol = "_start" };
        builder.AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, bytes)
            .AddSymbol("_start", ".text", 0, (uint)bytes.Length, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".text", ".text");
        string path = Path.Combine(Path.GetTempPath(), $"isa-guest-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, builder.Build());
        return path;
    }

    private static (int Status, string Error) Isa(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [RepoPaths.IsaDll, .. args]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "isa run did not finish");
        _ = output.Result;
        return (process.ExitCode, error);
    }
}
