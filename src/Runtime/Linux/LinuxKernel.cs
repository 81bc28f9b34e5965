using Isa.Runtime.Cpu;
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

        // Threads running guest code stop at their next instruction slice; the ones blocked in a
        // host syscall cannot be interrupted, and GuestProcess keeps the memory they may still touch.
        threads.WaitStopped(TimeSpan.FromSeconds(1));
        return threads.Outcome!;
    }

    /// <summary>This thread's loop: runs the CPU and services its syscalls until it or its process ends.</summary>
    private void RunThread()
    {
        GuestThreadGroup threads = _process.Threads;
        while (!threads.HasEnded)
        {
            CpuExit exit = _cpu.Run(Slice);
            switch (exit.Kind)
            {
                case TrapKind.BudgetExhausted:
                    continue;
                case TrapKind.Syscall:
                    Syscall();
                    if (_gone)
                    {
                        return;
                    }

                    _cpu.SkipTrappedInstruction();
                    continue;
                default:
                    threads.End(GuestOutcome.Signaled(Signals.For(exit), exit, RegisterDump()));
                    return;
            }
        }
    }

    private void Syscall()
    {
        (LinuxSyscall call, long number) = _abi.Identify(_cpu);
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
            string args = string.Join(", ", Enumerable.Range(0, 4).Select(i => "0x" + _abi.Argument(_cpu, i).ToString("x")));
            string outcome = result < 0 && result > -4096 ? $"-1 {(Errno)(-result)}" : result.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string thread = _tid == Environment.ProcessId ? "" : $"[pid {_tid}] ";
            _strace.WriteLine($"{thread}{name}({args}) = {outcome}");
        }

        if (!_gone)
        {
            _abi.SetResult(_cpu, result);
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
