using System.Buffers.Binary;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// Guest threads: clone with CLONE_VM|CLONE_THREAD (each guest thread on a host thread with a CPU
/// of its own, sharing the process's memory, files and futexes), thread ids, exit of one thread
/// or of the whole group, and futex (tgkill between threads is in LinuxKernel.Signals.cs).
/// </summary>
public sealed partial class LinuxKernel
{
    private const uint CloneVm = 0x100, CloneThread = 0x10000, CloneSetTls = 0x80000;
    private const uint CloneParentSetTid = 0x100000, CloneChildClearTid = 0x200000, CloneChildSetTid = 0x1000000;
    private const int FutexWait = 0, FutexWake = 1, FutexRequeue = 3, FutexCmpRequeue = 4, FutexWakeOp = 5;
    private const int FutexWaitBitset = 9, FutexWakeBitset = 10, FutexClockRealtime = 256;

    /// <summary>clone: a thread when the guest shares its memory as a thread, otherwise a process (fork).</summary>
    private long Clone(uint flags, uint stack, uint parentTid, uint tls, uint childTid)
    {
        if ((flags & (CloneVm | CloneThread)) == (CloneVm | CloneThread))
        {
            return CloneThreadCall(flags, stack, parentTid, tls, childTid);
        }

        if ((flags & CloneThread) != 0)
        {
            return -(long)Errno.EINVAL; // a thread must share its memory
        }

        // Without CLONE_THREAD the child is a process: vfork's shared memory becomes a copy,
        // which is what a vfork child that only calls execve or _exit can observe.
        return Fork(flags, stack, parentTid, tls, childTid);
    }

    private long CloneThreadCall(uint flags, uint stack, uint parentTid, uint tls, uint childTid)
    {
        ICpu cpu = NewThreadCpu(stack);
        if ((flags & CloneSetTls) != 0)
        {
            _abi.SetThreadPointer(cpu, tls);
        }

        var child = new LinuxKernel(_process, cpu, _strace)
        {
            _clearChildTid = (flags & CloneChildClearTid) != 0 ? childTid : 0,
        };
        child._thread.Blocked = _thread.Blocked; // a new thread inherits the mask; no pending signals, no alternate stack
        var started = new ChildStart(
            (flags & CloneParentSetTid) != 0 ? parentTid : 0,
            (flags & CloneChildSetTid) != 0 ? childTid : 0);
        child.StartHostThread(started);
        started.Ready.Wait();
        return child._tid;
    }

    /// <summary>A CPU for a new thread or process: a copy of this one's registers, resuming after the syscall with result 0.</summary>
    private ICpu NewThreadCpu(uint stack)
    {
        ICpu cpu = _process.CpuFactory(_memory);
        CopyRegisters(_cpu, cpu);
        if (stack != 0)
        {
            _abi.SetStackPointer(cpu, stack);
        }

        _abi.SetResult(cpu, 0);
        cpu.SkipTrappedInstruction();
        return cpu;
    }

    /// <summary>Copies every register file and the PC (the PC setter also drops any pending delayed branch).</summary>
    internal static void CopyRegisters(ICpu from, ICpu to)
    {
        IReadOnlyList<RegisterFileInfo> files = from.Isa.Registers;
        for (int file = 0; file < files.Count; file++)
        {
            for (int i = 0; i < files[file].Count; i++)
            {
                to.SetRegister(file, i, from.GetRegister(file, i));
            }
        }

        to.Pc = from.Pc;
    }

    /// <summary>
    /// Runs this thread on a new host thread. A clone child first takes the host thread's id as its
    /// tid, publishes it where CLONE_PARENT_SETTID and CLONE_CHILD_SETTID ask, joins the thread
    /// group, and only then lets the parent's clone return.
    /// </summary>
    private void StartHostThread(ChildStart? start)
    {
        _process.Threads.HostThreadStarted();
        var thread = new Thread(() =>
        {
            try
            {
                _hostTid = (int)HostSyscalls.Call(HostSyscalls.Gettid);
                if (start is not null)
                {
                    _tid = _hostTid;
                    StoreTid(start.ParentTid);
                    StoreTid(start.ChildTid);
                    _process.Threads.Add(_tid, this);
                    start.Ready.Set();
                }

                RunThread();
            }
            catch (Exception bug)
            {
                start?.Ready.Set();
                _process.Threads.Fail(bug);
            }
            finally
            {
                _process.Threads.HostThreadStopped();
            }
        })
        {
            IsBackground = true, // a process whose outcome is decided ends without waiting for blocked threads
            Name = "guest thread",
        };
        thread.Start();
    }

    private void StoreTid(uint address)
    {
        if (address == 0)
        {
            return;
        }

        try
        {
            WriteGuestWord(address, (uint)_tid);
        }
        catch (GuestFaultException)
        {
            // Linux ignores a bad address here too.
        }
    }

    private void WriteGuestWord(uint address, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        new GuestStructWriter(bytes, _bigEndian).U32(0, value);
        _memory.Write(address, bytes);
    }

    private long SetTidAddress(uint address)
    {
        _clearChildTid = address;
        return _tid;
    }

    /// <summary>exit: ends this thread (clearing and waking its clear-tid word, which pthread_join waits on); the last one ends the process.</summary>
    private long ExitThread(int status)
    {
        if (_clearChildTid != 0)
        {
            try
            {
                WriteGuestWord(_clearChildTid, 0);
                _process.Futexes.Wake(_clearChildTid, 1, uint.MaxValue);
            }
            catch (GuestFaultException)
            {
                // The thread's own memory is gone: nobody can be waiting on it.
            }
        }

        _gone = true;
        lock (ProcessSignals.Lock)
        {
            ProcessSignals.ExitedThreadsCpuTime += Now(ThreadCpuClock(_hostTid));
        }

        if (_process.Threads.Remove(_tid))
        {
            _process.Threads.End(GuestOutcome.Exited(status & 0xff));
        }

        return 0;
    }

    private long ExitGroup(int status)
    {
        _gone = true;
        _process.Threads.End(GuestOutcome.Exited(status & 0xff));
        return 0;
    }

    /// <summary>futex(uaddr, op, val, timeout or val2, uaddr2, val3).</summary>
    private long Futex(uint address, int op, uint value, uint timeoutOrCount, uint address2, uint value3, bool time64)
    {
        if ((address & 3) != 0)
        {
            return -(long)Errno.EINVAL;
        }

        FutexTable futexes = _process.Futexes;
        switch (op & 127)
        {
            case FutexWait:
                return FutexWaitInterruptibly(address, value, uint.MaxValue, timeoutOrCount == 0 ? null : ReadTimespec(timeoutOrCount, time64));
            case FutexWaitBitset:
                return FutexWaitInterruptibly(address, value, value3, timeoutOrCount == 0 ? null : Remaining(ReadTimespec(timeoutOrCount, time64), (op & FutexClockRealtime) != 0));
            case FutexWake:
                return futexes.Wake(address, (int)value, uint.MaxValue);
            case FutexWakeBitset:
                return futexes.Wake(address, (int)value, value3);
            case FutexRequeue or FutexCmpRequeue:
                return (address2 & 3) != 0
                    ? -(long)Errno.EINVAL
                    : futexes.Requeue(address, (int)value, (int)timeoutOrCount, address2, (op & 127) == FutexCmpRequeue ? value3 : null);
            case FutexWakeOp:
                return (address2 & 3) != 0 ? -(long)Errno.EINVAL : futexes.WakeOp(address, (int)value, address2, (int)timeoutOrCount, value3);
            default:
                return -(long)Errno.ENOSYS;
        }
    }

    /// <summary>
    /// A futex wait that a signal for this thread interrupts (-EINTR) when it would run a handler or
    /// end the process, as in Linux; other wake-ups of the wait (an ignored signal, an interval timer
    /// expiring) only resume it.
    /// </summary>
    private long FutexWaitInterruptibly(uint address, uint value, uint bitset, TimeSpan? timeout)
    {
        const long Woken = 1;
        long nanoseconds = timeout is { } t ? Math.Max(0, t.Ticks) * 100 : -1;
        long result = InterruptibleWait(nanoseconds, (slice, interrupt) =>
        {
            TimeSpan? limit = slice < 0 ? null : TimeSpan.FromTicks(slice / 100);
            long waited = _process.Futexes.Wait(address, value, bitset, limit, interrupt);
            return waited == 0 ? Woken : waited == -(long)Errno.ETIMEDOUT ? 0 : waited;
        });
        return result == Woken ? 0 : result == 0 ? -(long)Errno.ETIMEDOUT : result;
    }

    /// <summary>A guest timespec (32- or 64-bit time_t) as a duration.</summary>
    private TimeSpan ReadTimespec(uint address, bool time64)
    {
        Span<byte> bytes = stackalloc byte[16];
        _memory.Read(address, bytes[..(time64 ? 16 : 8)]);
        long seconds, nanoseconds;
        if (time64)
        {
            seconds = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
            nanoseconds = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(bytes[8..]) : BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        }
        else
        {
            seconds = (int)ReadWord(bytes);
            nanoseconds = (int)ReadWord(bytes[4..]);
        }

        seconds = Math.Clamp(seconds, -1L << 40, 1L << 40);
        return TimeSpan.FromTicks((seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100));
    }

    /// <summary>The time left until an absolute deadline of CLOCK_REALTIME or CLOCK_MONOTONIC.</summary>
    private static unsafe TimeSpan Remaining(TimeSpan deadline, bool realtime)
    {
        long* now = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, realtime ? 0 : 1, (nint)now);
        return deadline - TimeSpan.FromTicks((now[0] * TimeSpan.TicksPerSecond) + (now[1] / 100));
    }

    /// <summary>What a clone child publishes before its parent's clone returns.</summary>
    private sealed class ChildStart(uint parentTid, uint childTid)
    {
        public uint ParentTid { get; } = parentTid;

        public uint ChildTid { get; } = childTid;

        public ManualResetEventSlim Ready { get; } = new(false);
    }
}
