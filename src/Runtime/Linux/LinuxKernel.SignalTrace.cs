using System.Text;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// --strace lines for the signal, timer and poll syscalls, decoded as strace prints them
/// (<c>rt_sigaction(SIGSEGV, {sa_handler=0x400a10, sa_mask=[USR2], sa_flags=SA_SIGINFO}, NULL, 16)</c>);
/// other syscalls show their first four arguments in hex.
/// </summary>
public sealed partial class LinuxKernel
{
    private static readonly (int Bit, string Name)[] HostActionFlags =
    [
        (0x1, "SA_NOCLDSTOP"), (0x2, "SA_NOCLDWAIT"), (0x4, "SA_SIGINFO"), (0x0800_0000, "SA_ONSTACK"),
        (0x1000_0000, "SA_RESTART"), (0x4000_0000, "SA_NODEFER"), (unchecked((int)0x8000_0000), "SA_RESETHAND"),
    ];

    private static readonly string[] TimerNames = ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"];

    private string DescribeArguments(LinuxSyscall call)
    {
        try
        {
            return call switch
            {
                LinuxSyscall.rt_sigaction => $"{SignalName(SignedArg(0))}, {DescribeAction(Arg(1))}, {Pointer(Arg(2))}, {Arg(3)}",
                LinuxSyscall.rt_sigprocmask => $"{DescribeHow(SignedArg(0))}, {DescribeSet(Arg(1))}, {Pointer(Arg(2))}, {Arg(3)}",
                LinuxSyscall.rt_sigsuspend => $"{DescribeSet(Arg(0))}, {Arg(1)}",
                LinuxSyscall.rt_sigpending => $"{Pointer(Arg(0))}, {Arg(1)}",
                LinuxSyscall.rt_sigreturn or LinuxSyscall.pause => "",
                LinuxSyscall.kill => $"{SignedArg(0)}, {SignalName(SignedArg(1))}",
                LinuxSyscall.tkill => $"{SignedArg(0)}, {SignalName(SignedArg(1))}",
                LinuxSyscall.tgkill => $"{SignedArg(0)}, {SignedArg(1)}, {SignalName(SignedArg(2))}",
                LinuxSyscall.sigaltstack => $"{DescribeStack(Arg(0))}, {Pointer(Arg(1))}",
                LinuxSyscall.setitimer => $"{DescribeTimer(SignedArg(0))}, {DescribeTimerValue(Arg(1))}, {Pointer(Arg(2))}",
                LinuxSyscall.getitimer => $"{DescribeTimer(SignedArg(0))}, {Pointer(Arg(1))}",
                LinuxSyscall.alarm => Arg(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                LinuxSyscall.poll => $"{DescribePollFds(Arg(0), Arg(1))}, {Arg(1)}, {SignedArg(2)}",
                LinuxSyscall.ppoll or LinuxSyscall.ppoll_time64 => $"{DescribePollFds(Arg(0), Arg(1))}, {Arg(1)}, {Pointer(Arg(2))}, {DescribeSet(Arg(3))}, {Arg(4)}",
                _ => string.Join(", ", Enumerable.Range(0, 4).Select(i => "0x" + Arg(i).ToString("x"))),
            };
        }
        catch (GuestFaultException)
        {
            return string.Join(", ", Enumerable.Range(0, 4).Select(i => "0x" + Arg(i).ToString("x")));
        }
    }

    /// <summary>A delivered signal as strace shows it: <c>--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---</c>.</summary>
    private void TraceDelivery(in SignalInfo info)
    {
        if (_strace is null)
        {
            return;
        }

        string name = SignalName(info.Signal);
        string code = info.Code switch
        {
            SignalInfo.User => "SI_USER",
            SignalInfo.Kernel => "SI_KERNEL",
            SignalInfo.Tkill => "SI_TKILL",
            _ when info.IsFault => (_abi.HostSignal(info.Signal), info.Code) switch
            {
                (HostSignal.SIGSEGV, SignalInfo.SegvMapError) => "SEGV_MAPERR",
                (HostSignal.SIGSEGV, SignalInfo.SegvAccessError) => "SEGV_ACCERR",
                (HostSignal.SIGBUS, SignalInfo.BusAlignment) => "BUS_ADRALN",
                (HostSignal.SIGILL, SignalInfo.IllOpcode) => "ILL_ILLOPC",
                (HostSignal.SIGFPE, SignalInfo.FpeIntegerDivide) => "FPE_INTDIV",
                (HostSignal.SIGFPE, SignalInfo.FpeIntegerOverflow) => "FPE_INTOVF",
                (HostSignal.SIGFPE, SignalInfo.FpeFloatInvalid) => "FPE_FLTINV",
                (HostSignal.SIGTRAP, SignalInfo.TrapBreakpoint) => "TRAP_BRKPT",
                _ => info.Code.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            _ => info.Code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string detail = info.IsFault ? $"si_addr=0x{info.Address:x}" : info.Code == SignalInfo.Kernel ? "" : $"si_pid={info.Pid}, si_uid={info.Uid}";
        _strace.WriteLine($"{StracePrefix}--- {name} {{si_signo={name}, si_code={code}{(detail.Length > 0 ? ", " + detail : "")}}} ---");
    }

    private static string Pointer(uint address) => address == 0 ? "NULL" : $"0x{address:x}";

    private string DescribeHow(int how)
    {
        (int block, int unblock, int setMask) = _abi.SignalMaskHow;
        return how == block ? "SIG_BLOCK" : how == unblock ? "SIG_UNBLOCK" : how == setMask ? "SIG_SETMASK" : how.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private string DescribeSet(uint address) => address == 0 ? "NULL" : DescribeSet(ReadSignalSet(address));

    /// <summary>strace's set notation: <c>[INT USR1]</c>, or <c>~[...]</c> for the complement when that is shorter.</summary>
    private string DescribeSet(SignalSet set)
    {
        var all = SignalSet.Empty;
        for (int signal = 1; signal <= ProcessSignals.SignalCount; signal++)
        {
            all = all.With(signal);
        }

        bool inverted = (int)UInt128.PopCount(set.Bits) > ProcessSignals.SignalCount / 2;
        SignalSet shown = inverted ? all.Except(set) : set;
        var names = new List<string>();
        for (SignalSet rest = shown; !rest.IsEmpty; rest = rest.Without(rest.Lowest))
        {
            string name = SignalName(rest.Lowest);
            names.Add(name.StartsWith("SIG", StringComparison.Ordinal) ? name[3..] : name);
        }

        return (inverted ? "~[" : "[") + string.Join(' ', names) + "]";
    }

    private string DescribeAction(uint address)
    {
        if (address == 0)
        {
            return "NULL";
        }

        Span<byte> bytes = stackalloc byte[_abi.SignalActionSize];
        _memory.Read(address, bytes);
        SignalAction action = _abi.ReadSignalAction(bytes, _bigEndian);
        string handler = action.IsDefault ? "SIG_DFL" : action.IsIgnore ? "SIG_IGN" : $"0x{action.Handler:x}";
        int flags = LinuxAbi.Translate((int)action.Flags, _abi.SignalActionFlags, toHost: true);
        string flagNames = string.Join('|', HostActionFlags.Where(f => (flags & f.Bit) != 0).Select(f => f.Name));
        return $"{{sa_handler={handler}, sa_mask={DescribeSet(action.Mask)}, sa_flags={(flagNames.Length == 0 ? "0" : flagNames)}}}";
    }

    private string DescribeStack(uint address)
    {
        if (address == 0)
        {
            return "NULL";
        }

        Span<byte> bytes = stackalloc byte[_abi.SignalStackSize];
        _memory.Read(address, bytes);
        SignalStack stack = _abi.ReadSignalStack(bytes, _bigEndian);
        return $"{{ss_sp=0x{stack.Base:x}, ss_flags={stack.Flags}, ss_size={stack.Size}}}";
    }

    private static string DescribeTimer(int which) => which is >= 0 and < 3 ? TimerNames[which] : which.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string DescribeTimerValue(uint address)
    {
        if (address == 0)
        {
            return "NULL";
        }

        Span<byte> b = stackalloc byte[16];
        _memory.Read(address, b);
        return $"{{it_interval={{tv_sec={(int)ReadWord(b)}, tv_usec={(int)ReadWord(b[4..])}}}, it_value={{tv_sec={(int)ReadWord(b[8..])}, tv_usec={(int)ReadWord(b[12..])}}}}}";
    }

    private string DescribePollFds(uint address, uint count)
    {
        var text = new StringBuilder("[");
        Span<byte> entry = stackalloc byte[8];
        for (uint i = 0; i < Math.Min(count, 16u); i++)
        {
            _memory.Read(address + (i * 8), entry);
            text.Append(i == 0 ? "" : ", ").Append($"{{fd={(int)ReadWord(entry)}, events=0x{ReadHalf(entry[4..]):x}}}");
        }

        return text.Append(count > 16 ? ", ...]" : "]").ToString();
    }
}
