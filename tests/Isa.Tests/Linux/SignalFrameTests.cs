using System.Buffers.Binary;
using Isa.Guests.Mips32;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Abi;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Tests.Linux;

/// <summary>
/// The o32 signal ABI against the kernel's layouts (arch/mips/include/uapi/asm/sigcontext.h,
/// ucontext.h, signal.h and kernel/signal.c): the rt frame a handler sees, what sigreturn reads
/// back, struct sigaction, stack_t, sigset_t words, and MIPS's own signal numbers.
/// </summary>
public sealed class SignalFrameTests
{
    private const uint StackTop = 0x7fff_0000, Handler = 0x0040_1000, Trampoline = 0x7fff_0000, ResumePc = 0x0040_0200;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FrameHoldsTheInterruptedStateWhereGlibcReadsIt(bool bigEndian)
    {
        (ICpu cpu, MipsO32Abi abi) = Create(bigEndian);
        SetDistinctRegisters(cpu);
        SignalSet mask = SignalSet.Empty.With(2).With(18).With(100);
        var info = SignalInfo.Fault(11, SignalInfo.SegvAccessError, 0x1234_5678);
        abi.PushSignalFrame(cpu, new SignalFrame(info, Handler, StackTop - 0x100, ResumePc, mask, new SignalStack(0x1000_0000, 0x4000, 0), Trampoline));

        uint frame = (uint)cpu.GetRegister(0, 29);
        Assert.Equal(0u, frame & 7);
        Assert.True(frame <= StackTop - 0x100 - 32 - 784, "the frame goes below the 32 bytes the kernel leaves free");
        Assert.Equal(11ul, cpu.GetRegister(0, 4));
        Assert.Equal(frame + 24, cpu.GetRegister(0, 5)); // &siginfo
        Assert.Equal(frame + 152, cpu.GetRegister(0, 6)); // &ucontext
        Assert.Equal(Trampoline, cpu.GetRegister(0, 31));
        Assert.Equal(Handler, cpu.GetRegister(0, 25));
        Assert.Equal(Handler, cpu.Pc);

        byte[] bytes = new byte[784];
        cpu.Memory.Read(frame, bytes);
        uint Word(int offset) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
        uint Low64(int offset) => Word(bigEndian ? offset + 4 : offset);

        // siginfo: si_signo, si_code, si_errno (MIPS swaps the last two), si_addr
        Assert.Equal(11u, Word(24));
        Assert.Equal((uint)SignalInfo.SegvAccessError, Word(28));
        Assert.Equal(0u, Word(32));
        Assert.Equal(0x1234_5678u, Word(36));

        // ucontext: uc_stack (ss_sp, ss_size, ss_flags), then sigcontext at +24, uc_sigmask at +616
        int uc = 152, sc = uc + 24;
        Assert.Equal(0x1000_0000u, Word(uc + 8));
        Assert.Equal(0x4000u, Word(uc + 12));
        Assert.Equal(ResumePc, Low64(sc + 8));
        for (int i = 1; i < 32; i++)
        {
            Assert.Equal(i == 29 ? StackTop - 0x40 : 0x1000_0000u + (uint)i, Low64(sc + 16 + (8 * i)));
        }

        Assert.Equal(0xaaaa_0001u, Low64(sc + 552)); // mdhi
        Assert.Equal(0xbbbb_0002u, Low64(sc + 560)); // mdlo
        Assert.Equal(0x3f80_0000u, Low64(sc + 272 + (8 * 4))); // $f4 in fpregs[4]
        Assert.Equal(0x4000_0005u, Word(sc + 272 + (8 * 4) + (bigEndian ? 0 : 4))); // $f5 in the upper half of the even slot
        Assert.Equal(0x0100_0000u, Word(sc + 532)); // fpc_csr
        Assert.Equal(1u, Word(sc + 540)); // used_math
        Assert.Equal((1u << 1) | (1u << 17), Word(uc + 616));
        Assert.Equal(1u << (99 - 96), Word(uc + 616 + 12));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SigreturnRestoresRegistersMaskAndStack(bool bigEndian)
    {
        (ICpu cpu, MipsO32Abi abi) = Create(bigEndian);
        SetDistinctRegisters(cpu);
        SignalSet mask = SignalSet.Empty.With(14).With(128);
        var stack = new SignalStack(0x2000_0000, 0x8000, 0);
        abi.PushSignalFrame(cpu, new SignalFrame(SignalInfo.FromKernel(14), Handler, StackTop - 0x40, ResumePc, mask, stack, Trampoline));

        // the handler clobbers registers but keeps sp; sigreturn brings everything back
        uint sp = (uint)cpu.GetRegister(0, 29);
        for (int i = 1; i < 32; i++)
        {
            cpu.SetRegister(0, i, 0xdead_0000u + (uint)i);
        }

        cpu.SetRegister(0, 29, sp);
        cpu.SetRegister(File(cpu, "fpr"), 4, 0);
        (SignalSet restoredMask, SignalStack restoredStack) = abi.PopSignalFrame(cpu);

        Assert.Equal(mask, restoredMask);
        Assert.Equal(stack, restoredStack);
        Assert.Equal(ResumePc, cpu.Pc);
        for (int i = 1; i < 32; i++)
        {
            Assert.Equal(i == 29 ? StackTop - 0x40 : 0x1000_0000u + (uint)i, cpu.GetRegister(0, i));
        }

        Assert.Equal(0xaaaa_0001ul, cpu.GetRegister(File(cpu, "hi"), 0));
        Assert.Equal(0xbbbb_0002ul, cpu.GetRegister(File(cpu, "lo"), 0));
        Assert.Equal(0x3f80_0000ul, cpu.GetRegister(File(cpu, "fpr"), 4));
        Assert.Equal(0x4000_0005ul, cpu.GetRegister(File(cpu, "fpr"), 5));
        Assert.Equal(0x0100_0000ul, cpu.GetRegister(File(cpu, "fcsr"), 0));
    }

    [Fact]
    public void FrameThatDoesNotFitIsAGuestFault()
    {
        (ICpu cpu, MipsO32Abi abi) = Create(bigEndian: false);
        var frame = new SignalFrame(SignalInfo.FromKernel(14), Handler, 0x0800_0000, ResumePc, SignalSet.Empty, SignalStack.Disabled, Trampoline);
        Assert.Throws<GuestFaultException>(() => abi.PushSignalFrame(cpu, frame));
    }

    [Fact]
    public void SigactionIsFlagsHandlerThenFourMaskWords()
    {
        var abi = new MipsO32Abi(Mips32Isa.Mips32);
        byte[] bytes = new byte[24];
        var action = new SignalAction(0x0040_1234, 0x8000_0008, SignalSet.Empty.With(1).With(33));
        abi.WriteSignalAction(bytes, action, bigEndian: true);
        Assert.Equal(0x8000_0008u, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        Assert.Equal(0x0040_1234u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(12)));
        Assert.Equal(action, abi.ReadSignalAction(bytes, bigEndian: true));
        Assert.Equal(unchecked((int)0x8000_0004), Isa.Runtime.Linux.LinuxAbi.Translate(unchecked((int)0x8000_0008), abi.SignalActionFlags, toHost: true)); // SA_RESETHAND | SA_SIGINFO
    }

    [Fact]
    public void StackTIsPointerSizeFlags()
    {
        var abi = new MipsO32Abi(Mips32Isa.Mips32el);
        byte[] bytes = new byte[12];
        abi.WriteSignalStack(bytes, new SignalStack(0x1000, 0x2000, SignalStack.Disable), bigEndian: false);
        Assert.Equal(new byte[] { 0, 0x10, 0, 0, 0, 0x20, 0, 0, 2, 0, 0, 0 }, bytes);
    }

    [Fact]
    public void MipsSignalNumbersMapToTheHostsAndBack()
    {
        var abi = new MipsO32Abi(Mips32Isa.Mips32el);
        Assert.Equal(HostSignal.SIGBUS, abi.HostSignal(10));
        Assert.Equal(HostSignal.SIGUSR1, abi.HostSignal(16));
        Assert.Equal(HostSignal.SIGCHLD, abi.HostSignal(18));
        Assert.Equal(HostSignal.SIGSTOP, abi.HostSignal(23));
        Assert.Equal(0, abi.HostSignal(7)); // SIGEMT: no x86-64 twin
        Assert.Equal(0, abi.HostSignal(100)); // real-time signals above the host's 64
        for (int host = 1; host <= 64; host++)
        {
            int guest = abi.GuestSignal(host);
            Assert.True(host == HostSignal.SIGSTKFLT ? guest == 0 : abi.HostSignal(guest) == host, $"host signal {host}");
        }
    }

    [Fact]
    public void TrampolineCallsRtSigreturn()
    {
        byte[] code = new MipsO32Abi(Mips32Isa.Mips32el).SigreturnTrampoline(bigEndian: false);
        Assert.Equal(0x2402_0000u | 4193, BinaryPrimitives.ReadUInt32LittleEndian(code)); // li v0, 4193
        Assert.Equal(0x0000_000cu, BinaryPrimitives.ReadUInt32LittleEndian(code.AsSpan(4))); // syscall
    }

    [Theory]
    [InlineData(TrapKind.Trap, 7, HostSignal.SIGFPE, SignalInfo.FpeIntegerDivide)] // gcc's teq divisor, zero, 7
    [InlineData(TrapKind.Trap, 6, HostSignal.SIGFPE, SignalInfo.FpeIntegerOverflow)]
    [InlineData(TrapKind.Trap, 0, HostSignal.SIGTRAP, SignalInfo.TrapBreakpoint)]
    [InlineData(TrapKind.Breakpoint, 7 << 10, HostSignal.SIGFPE, SignalInfo.FpeIntegerDivide)] // break 7 (code in the upper half)
    [InlineData(TrapKind.Breakpoint, 0, HostSignal.SIGTRAP, SignalInfo.TrapBreakpoint)]
    [InlineData(TrapKind.IntegerOverflow, 0, HostSignal.SIGFPE, SignalInfo.FpeIntegerOverflow)]
    [InlineData(TrapKind.AddressError, 0x1001, HostSignal.SIGBUS, SignalInfo.BusAlignment)]
    [InlineData(TrapKind.IllegalInstruction, 0, HostSignal.SIGILL, SignalInfo.IllOpcode)]
    [InlineData(TrapKind.MemoryFault, 16, HostSignal.SIGSEGV, SignalInfo.SegvMapError)]
    public void TrapsRaiseTheSignalsLinuxMipsRaises(TrapKind kind, int value, int signal, int code)
        => Assert.Equal((signal, code), HostSignal.ForTrap(new CpuExit(kind, 0x400000, (ulong)value), mapped: false));

    [Fact]
    public void SignalSetWordsFollowTheGuestByteOrder()
    {
        SignalSet set = SignalSet.Empty.With(1).With(32).With(33).With(128);
        byte[] big = new byte[16];
        set.Write(big, 4, bigEndian: true);
        Assert.Equal(0x8000_0001u, BinaryPrimitives.ReadUInt32BigEndian(big));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(big.AsSpan(4)));
        Assert.Equal(0x8000_0000u, BinaryPrimitives.ReadUInt32BigEndian(big.AsSpan(12)));
        Assert.Equal(set, SignalSet.Read(big, 4, bigEndian: true));
        Assert.Equal(1, set.Lowest);
        Assert.False(set.Contains(2));
        Assert.False(set.Contains(0));
    }

    private static (ICpu Cpu, MipsO32Abi Abi) Create(bool bigEndian)
    {
        GuestIsa isa = bigEndian ? Mips32Isa.Mips32 : Mips32Isa.Mips32el;
        var memory = new GuestMemory();
        memory.Map(StackTop - 0x10_0000, 0x10_0000, MemoryPermissions.ReadWrite);
        return (isa.CreateCpu(memory), new MipsO32Abi(isa));
    }

    /// <summary>A register file by name: the spec may add files before the FPU's (as llval was).</summary>
    private static int File(ICpu cpu, string name) => cpu.Isa.RegisterFileIndex(name);

    private static void SetDistinctRegisters(ICpu cpu)
    {
        for (int i = 1; i < 32; i++)
        {
            cpu.SetRegister(0, i, 0x1000_0000u + (uint)i);
        }

        cpu.SetRegister(0, 29, StackTop - 0x40);
        cpu.SetRegister(File(cpu, "hi"), 0, 0xaaaa_0001);
        cpu.SetRegister(File(cpu, "lo"), 0, 0xbbbb_0002);
        cpu.SetRegister(File(cpu, "fpr"), 4, 0x3f80_0000);
        cpu.SetRegister(File(cpu, "fpr"), 5, 0x4000_0005);
        cpu.SetRegister(File(cpu, "fcsr"), 0, 0x0100_0000);
        cpu.Pc = 0x0040_0100;
    }
}
