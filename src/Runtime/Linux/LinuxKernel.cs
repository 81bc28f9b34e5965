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

    /// <summary>This thread's id: the host pid for the main thread, the host thread's id for the others.</summary>
    private int _tid;

    /// <summary>The id of the host thread running this guest thread (whose CPU clock the CPU-time timers read).</summary>
    private int _hostTid;

    /// <summary>The set_tid_address / CLONE_CHILD_CLEARTID word, cleared and woken when the thread exits.</summary>
    private uint _clearChildTid;

    /// <summary>Set once this thread has exited (or its process has): its loop stops.</summary>
    private bool _gone;

    public LinuxKernel(GuestProcess process, ICpu cpu, TextWriter? strace = null)
    {
        _process = process;
        _cpu = cpu;
        _abi = process.Abi;
        _memory = process.Memory;
        _strace = strace;
        _bigEndian = cpu.Isa.Endianness == Endianness.Big;
        _thread = new ThreadSignals(_abi.SignalCount, process.Signals.Lock);
        _interrupt = CancellationTokenSource.CreateLinkedTokenSource(process.Threads.Ended);
        _unblockable = SignalSet.Empty.With(_abi.GuestSignal(HostSignal.SIGKILL)).With(_abi.GuestSignal(HostSignal.SIGSTOP));
    }

    /// <summary>
    /// Runs the guest process, this kernel's CPU being its main thread, until it exits, is killed by a
    /// signal, or <paramref name="timeout"/> passes. Each guest thread runs on a host thread of its own.
    /// </summary>
    public GuestOutcome Run(TimeSpan? timeout = null)
    {
        GuestThreadGroup threads = _process.Threads;
        _tid = (int)HostSyscalls.Call(HostSyscalls.Getpid);
        threads.Add(_tid, this);
        StartHostThread(start: null);
        if (!threads.WaitEnded(timeout))
        {
            threads.End(GuestOutcome.TimedOut(_cpu.Pc, timeout!.Value));
        }

        // Threads running guest code stop at their next instruction slice and waiting ones (sleeps,
        // futexes, signal waits) wake up; the ones blocked in another host syscall (a read of a pipe)
        // cannot be interrupted, and GuestProcess keeps the memory they may still touch.
        threads.WaitStopped(TimeSpan.FromSeconds(1));
        return threads.Outcome!;
    }

    /// <summary>
    /// This thread's loop: runs the CPU and services its syscalls until it or its process ends. Its
    /// pending signals are delivered before every slice, so after each syscall too.
    /// </summary>
    private void RunThread()
    {
        GuestThreadGroup threads = _process.Threads;
        while (!threads.HasEnded)
        {
            if (DeliverSignals() is { } killed)
            {
                threads.End(killed);
                return;
            }

            CpuExit exit = _cpu.Run(SliceLength);
            switch (exit.Kind)
            {
                case TrapKind.BudgetExhausted:
                    CheckTimers();
                    continue;
                case TrapKind.Syscall:
                    Syscall();
                    if (_gone)
                    {
                        return;
                    }

                    continue;
                default:
                    if (Fault(exit) is { } outcome)
                    {
                        threads.End(outcome);
                        return;
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
            _strace.WriteLine($"{StracePrefix}{name}({args}) = {outcome}");
        }

        AfterSyscall(call, result);
        if (_frameRestored)
        {
            _frameRestored = false; // rt_sigreturn restored the result registers and the PC
        }
        else if (!_gone)
        {
            _abi.SetResult(_cpu, result);
            _cpu.SkipTrappedInstruction();
        }
    }

    /// <summary>What strace prints before a line of a thread other than the main one.</summary>
    private string StracePrefix => _tid == Environment.ProcessId ? "" : $"[pid {_tid}] ";

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
