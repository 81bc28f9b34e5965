using System.Diagnostics;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// High-level emulation of the Linux kernel for one guest process: runs the CPU, services its
/// syscalls in C# (mostly by passing them to the host kernel with translated arguments, as
/// qemu-user does), and turns unhandled traps into the signal that would end the process.
/// </summary>
public sealed partial class LinuxKernel
{
    private const long Slice = 1 << 20;
    private readonly GuestProcess _process;
    private readonly ICpu _cpu;
    private readonly LinuxAbi _abi;
    private readonly GuestMemory _memory;
    private readonly TextWriter? _strace;
    private readonly bool _bigEndian;

    public LinuxKernel(GuestProcess process, ICpu cpu, TextWriter? strace = null)
    {
        _process = process;
        _cpu = cpu;
        _abi = process.Abi;
        _memory = process.Memory;
        _strace = strace;
        _bigEndian = cpu.Isa.Endianness == Endianness.Big;
        _thread = new ThreadSignals(_abi.SignalCount);
        _unblockable = SignalSet.Empty.With(_abi.GuestSignal(HostSignal.SIGKILL)).With(_abi.GuestSignal(HostSignal.SIGSTOP));
    }

    /// <summary>Runs the guest until it exits, is killed by a signal, or <paramref name="timeout"/> passes.</summary>
    public GuestOutcome Run(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        _waitDeadline = timeout is { } total ? Now(Monotonic) + (long)(total.TotalMilliseconds * 1_000_000) : long.MaxValue;
        while (true)
        {
            if (DeliverSignals() is { } killed)
            {
                return killed;
            }

            CpuExit exit = _cpu.Run(SliceLength);
            switch (exit.Kind)
            {
                case TrapKind.BudgetExhausted:
                    if (timeout is { } limit && clock.Elapsed > limit)
                    {
                        return GuestOutcome.TimedOut(exit.Pc, limit);
                    }

                    CheckTimers();
                    continue;
                case TrapKind.Syscall:
                    Syscall();
                    if (_process.ExitStatus is { } status)
                    {
                        return GuestOutcome.Exited(status);
                    }

                    if (timeout is { } waited && Now(Monotonic) >= _waitDeadline)
                    {
                        return GuestOutcome.TimedOut(_cpu.Pc, waited); // it ran out while blocked in a syscall
                    }

                    continue;
                default:
                    if (Fault(exit) is { } outcome)
                    {
                        return outcome;
                    }

                    continue;
            }
        }
    }

    private void Syscall()
    {
        (LinuxSyscall call, long number) = _abi.Identify(_cpu);
        string? args = _strace is null ? null : DescribeArguments(call); // before the call: rt_sigreturn replaces the registers
        long result;
        try
        {
            result = Dispatch(call);
        }
        catch (GuestFaultException)
        {
            result = -(long)Errno.EFAULT;
        }

        if (_strace is not null)
        {
            string name = call == LinuxSyscall.Unknown ? $"syscall_{number}" : call.ToString().TrimStart('@');
            string outcome = result < 0 && result > -4096 ? $"-1 {(Errno)(-result)}" : result.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _strace.WriteLine($"{name}({args}) = {outcome}");
        }

        AfterSyscall(call, result);
        if (_frameRestored)
        {
            _frameRestored = false; // rt_sigreturn restored the result registers and the PC
        }
        else if (_process.ExitStatus is null)
        {
            _abi.SetResult(_cpu, result);
            _cpu.SkipTrappedInstruction();
        }
    }

    private uint Arg(int index) => _abi.Argument(_cpu, index);

    private int SignedArg(int index) => (int)_abi.Argument(_cpu, index);

    /// <summary>Every register file of the ISA, as a fault report shows it (large files such as vector banks are left out).</summary>
    private string RegisterDump()
    {
        var sb = new System.Text.StringBuilder();
        for (int file = 0; file < _cpu.Isa.Registers.Count; file++)
        {
            RegisterFileInfo info = _cpu.Isa.Registers[file];
            if (info.Count > 32)
            {
                continue;
            }

            for (int i = 0; i < info.Count; i++)
            {
                sb.Append($"{info.ElementNames[i],5}={_cpu.GetRegister(file, i):x8}").Append((i % 8) == 7 || i == info.Count - 1 ? "\n" : " ");
            }
        }

        return sb.ToString().TrimEnd();
    }
}
