using System.Buffers.Binary;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using HostSig = Isa.Runtime.Linux.Signals.HostSignal;

namespace Isa.Runtime.Linux.Abi;

/// <summary>
/// o32 signals: MIPS's own signal numbers and SA_* values, a 128-signal <c>sigset_t</c>, and the
/// rt signal frame of arch/mips/kernel/signal.c.
/// </summary>
public sealed partial class MipsO32Abi
{
    // struct rt_sigframe: u32 rs_ass[4] (argument save area), u32 rs_pad[2], siginfo (128 bytes), ucontext.
    private const int FrameInfo = 24, FrameContext = FrameInfo + 128;

    // struct ucontext: uc_flags, uc_link, stack_t uc_stack (sp, size, flags), sigcontext at 24, then the 16-byte sigset.
    private const int ContextStack = 8, ContextMachine = 24, ContextMask = ContextMachine + SigcontextSize, ContextSize = ContextMask + 16;

    // struct sigcontext (o32): regmask, status, u64 pc, u64 regs[32], u64 fpregs[32], acx, fpc_csr, fpc_eir, used_math, dsp, u64 mdhi, u64 mdlo, hi1..lo3.
    private const int ScPc = 8, ScRegs = 16, ScFpRegs = 272, ScFpcCsr = 532, ScUsedMath = 540, ScMdHi = 552, ScMdLo = 560, SigcontextSize = 592;

    private const int FrameSize = FrameContext + ContextSize;

    /// <summary>o32 keeps 8-byte stack alignment (ALMASK).</summary>
    private const uint StackAlignMask = ~7u;

    /// <summary>Guest signal number to host number (0: none), index = MIPS number: the MIPS ABI kept IRIX's numbering.</summary>
    private static readonly int[] ToHost = BuildToHost();

    private static readonly int[] FromHost = BuildFromHost();

    public override int WordBytes => 4;

    public override int SignalCount => 128;

    public override IReadOnlyList<(int Guest, int Host)> SignalActionFlags { get; } =
    [
        (0x00000001, 0x00000001), // SA_NOCLDSTOP
        (0x00000008, 0x00000004), // SA_SIGINFO
        (0x00010000, 0x00000002), // SA_NOCLDWAIT
        (0x08000000, 0x08000000), // SA_ONSTACK
        (0x10000000, 0x10000000), // SA_RESTART
        (0x40000000, 0x40000000), // SA_NODEFER
        (unchecked((int)0x80000000), unchecked((int)0x80000000)), // SA_RESETHAND
    ];

    public override IReadOnlyList<(int Guest, int Host)> PollEvents { get; } =
    [
        (0x0004, 0x0104), // POLLOUT is also POLLWRNORM on MIPS
        (0x0100, 0x0200), // POLLWRBAND
    ];

    public override (int Block, int Unblock, int SetMask) SignalMaskHow => (1, 2, 3);

    public override int SignalActionSize => 24;

    public override int SignalStackSize => 12;

    public override uint MinSignalStackSize => 2048;

    public override int HostSignal(int guestSignal) => guestSignal > 0 && guestSignal < ToHost.Length ? ToHost[guestSignal] : 0;

    public override int GuestSignal(int hostSignal) => hostSignal > 0 && hostSignal < FromHost.Length ? FromHost[hostSignal] : 0;

    /// <summary>o32 <c>struct sigaction</c>: sa_flags, sa_handler, then the 16-byte sa_mask (no sa_restorer).</summary>
    public override SignalAction ReadSignalAction(ReadOnlySpan<byte> source, bool bigEndian)
        => new(Word(source, 4, bigEndian), Word(source, 0, bigEndian), SignalSet.Read(source.Slice(8, 16), WordBytes, bigEndian));

    public override void WriteSignalAction(Span<byte> target, in SignalAction action, bool bigEndian)
    {
        var w = new GuestStructWriter(target, bigEndian);
        w.U32(0, action.Flags);
        w.U32(4, action.Handler);
        action.Mask.Write(target.Slice(8, 16), WordBytes, bigEndian);
    }

    public override int SignalInfoSize => 128;

    /// <summary>MIPS swaps si_code and si_errno (signo, code, errno); the union follows at 12: si_addr, or si_pid and si_uid.</summary>
    public override void WriteSignalInfo(Span<byte> target, in SignalInfo info, bool bigEndian)
    {
        target[..SignalInfoSize].Clear();
        var w = new GuestStructWriter(target, bigEndian);
        w.U32(0, (uint)info.Signal);
        w.U32(4, (uint)info.Code);
        if (info.IsFault)
        {
            w.U32(12, info.Address);
        }
        else
        {
            w.U32(12, (uint)info.Pid);
            w.U32(16, (uint)info.Uid);
        }
    }

    /// <summary>MIPS orders <c>stack_t</c> as ss_sp, ss_size, ss_flags (other ABIs put the flags second).</summary>
    public override SignalStack ReadSignalStack(ReadOnlySpan<byte> source, bool bigEndian)
        => new(Word(source, 0, bigEndian), Word(source, 4, bigEndian), (int)Word(source, 8, bigEndian));

    public override void WriteSignalStack(Span<byte> target, in SignalStack stack, bool bigEndian)
    {
        var w = new GuestStructWriter(target, bigEndian);
        w.U32(0, stack.Base);
        w.U32(4, stack.Size);
        w.U32(8, (uint)stack.Flags);
    }

    /// <summary><c>li v0, __NR_rt_sigreturn; syscall</c>, as in the kernel's VDSO.</summary>
    public override byte[] SigreturnTrampoline(bool bigEndian)
    {
        var code = new byte[8];
        var w = new GuestStructWriter(code, bigEndian);
        uint number = 4000 + (uint)Array.IndexOf(MipsO32SyscallNumbers.ByNumber, LinuxSyscall.rt_sigreturn);
        w.U32(0, 0x2402_0000 | number); // addiu v0, zero, number
        w.U32(4, 0x0000_000c);
        return code;
    }

    public override void PushSignalFrame(ICpu cpu, in SignalFrame frame)
    {
        bool big = cpu.Isa.Endianness == Endianness.Big;

        // get_sigframe: 32 bytes left free below the stack pointer, then the frame, aligned down.
        uint address = (frame.StackPointer - 32 - FrameSize) & StackAlignMask;
        Span<byte> bytes = stackalloc byte[FrameSize];
        bytes.Clear();
        var w = new GuestStructWriter(bytes, big);

        SignalInfo info = frame.Info;
        WriteSignalInfo(bytes.Slice(FrameInfo, SignalInfoSize), info, big);

        WriteSignalStack(bytes[(FrameContext + ContextStack)..], frame.SavedStack, big);
        int sc = FrameContext + ContextMachine;
        w.U64(sc + ScPc, frame.ResumePc);
        for (int i = 1; i < 32; i++)
        {
            w.U64(sc + ScRegs + (8 * i), (uint)cpu.GetRegister(_gpr, i));
        }

        w.U64(sc + ScMdHi, (uint)cpu.GetRegister(_hi, 0));
        w.U64(sc + ScMdLo, (uint)cpu.GetRegister(_lo, 0));
        if (_fpr >= 0)
        {
            // FR=0: the kernel stores each even/odd pair as one double in the even slot; the odd
            // slots carry their single too (as qemu writes them), which restoring ignores.
            for (int i = 0; i < 32; i++)
            {
                ulong low = (uint)cpu.GetRegister(_fpr, i);
                ulong high = (i & 1) == 0 ? (uint)cpu.GetRegister(_fpr, i + 1) : 0;
                w.U64(sc + ScFpRegs + (8 * i), (high << 32) | low);
            }

            w.U32(sc + ScFpcCsr, _fcsr >= 0 ? (uint)cpu.GetRegister(_fcsr, 0) : 0);
            w.U32(sc + ScUsedMath, 1);
        }

        frame.SavedMask.Write(bytes.Slice(FrameContext + ContextMask, 16), WordBytes, big);
        cpu.Memory.Write(address, bytes);

        // Handler arguments: a0 = signal, a1 = &siginfo, a2 = &ucontext; t9 = pc = handler; ra = trampoline.
        cpu.SetRegister(_gpr, A0, (uint)info.Signal);
        cpu.SetRegister(_gpr, A0 + 1, address + FrameInfo);
        cpu.SetRegister(_gpr, A0 + 2, address + FrameContext);
        cpu.SetRegister(_gpr, Sp, address);
        cpu.SetRegister(_gpr, Ra, frame.Trampoline);
        cpu.SetRegister(_gpr, 25, frame.Handler);
        ClearLink(cpu);
        cpu.Pc = frame.Handler;
    }

    public override (SignalSet Mask, SignalStack Stack) PopSignalFrame(ICpu cpu)
    {
        bool big = cpu.Isa.Endianness == Endianness.Big;
        uint address = (uint)cpu.GetRegister(_gpr, Sp) + FrameContext;
        Span<byte> uc = stackalloc byte[ContextSize];
        cpu.Memory.Read(address, uc);
        ReadOnlySpan<byte> sc = uc[ContextMachine..];
        for (int i = 1; i < 32; i++)
        {
            cpu.SetRegister(_gpr, i, Word(sc, ScRegs + (8 * i), big, low64: true));
        }

        cpu.SetRegister(_hi, 0, Word(sc, ScMdHi, big, low64: true));
        cpu.SetRegister(_lo, 0, Word(sc, ScMdLo, big, low64: true));
        if (_fpr >= 0 && Word(sc, ScUsedMath, big) != 0)
        {
            for (int i = 0; i < 32; i += 2)
            {
                cpu.SetRegister(_fpr, i, Word(sc, ScFpRegs + (8 * i), big, low64: true));
                cpu.SetRegister(_fpr, i + 1, Word(sc, ScFpRegs + (8 * i) + (big ? 0 : 4), big));
            }

            if (_fcsr >= 0)
            {
                cpu.SetRegister(_fcsr, 0, Word(sc, ScFpcCsr, big));
            }
        }

        ClearLink(cpu);
        cpu.Pc = Word(sc, ScPc, big, low64: true);
        return (SignalSet.Read(uc.Slice(ContextMask, 16), WordBytes, big), ReadSignalStack(uc[ContextStack..], big));
    }

    /// <summary>An exception return clears LLbit, so an ll/sc sequence the signal interrupted retries.</summary>
    private void ClearLink(ICpu cpu)
    {
        if (_llbit >= 0)
        {
            cpu.SetRegister(_llbit, 0, 0);
        }
    }

    /// <summary>A 32-bit field, or with <paramref name="low64"/> the low half of a 64-bit one.</summary>
    private static uint Word(ReadOnlySpan<byte> source, int offset, bool bigEndian, bool low64 = false)
    {
        int at = low64 && bigEndian ? offset + 4 : offset;
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(source[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(source[at..]);
    }

    private static int[] BuildToHost()
    {
        var map = new int[129];
        int[] classic =
        [
            0, HostSig.SIGHUP, HostSig.SIGINT, HostSig.SIGQUIT, HostSig.SIGILL, HostSig.SIGTRAP, HostSig.SIGABRT, 0 /* SIGEMT */,
            HostSig.SIGFPE, HostSig.SIGKILL, HostSig.SIGBUS, HostSig.SIGSEGV, HostSig.SIGSYS, HostSig.SIGPIPE, HostSig.SIGALRM,
            HostSig.SIGTERM, HostSig.SIGUSR1, HostSig.SIGUSR2, HostSig.SIGCHLD, HostSig.SIGPWR, HostSig.SIGWINCH, HostSig.SIGURG,
            HostSig.SIGIO, HostSig.SIGSTOP, HostSig.SIGTSTP, HostSig.SIGCONT, HostSig.SIGTTIN, HostSig.SIGTTOU, HostSig.SIGVTALRM,
            HostSig.SIGPROF, HostSig.SIGXCPU, HostSig.SIGXFSZ,
        ];
        classic.CopyTo(map, 0);
        for (int rt = HostSig.SIGRTMIN; rt <= HostSig.SIGRTMAX; rt++)
        {
            map[rt] = rt; // both number real-time signals from 32; MIPS's above 64 have no host twin
        }

        return map;
    }

    private static int[] BuildFromHost()
    {
        var map = new int[HostSig.SIGRTMAX + 1];
        for (int guest = 1; guest < ToHost.Length; guest++)
        {
            if (ToHost[guest] != 0)
            {
                map[ToHost[guest]] = guest;
            }
        }

        return map;
    }
}
