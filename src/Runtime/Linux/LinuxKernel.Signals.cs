using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// Signals as Linux delivers them: dispositions and masks set by the guest, signals raised by its
/// own faults, by kill/tgkill to itself and by its interval timers, delivered between execution
/// slices and on return from syscalls by building the ABI's signal frame on the guest stack.
/// Everything goes through <see cref="ICpu"/> and <see cref="LinuxAbi"/>, so every engine gets it.
/// Dispositions and process-directed signals are the process's, masks, alternate stacks and
/// thread-directed signals each thread's; a thread delivers its own between its slices, and a signal
/// sent to the process wakes a thread that does not block it.
/// </summary>
public sealed partial class LinuxKernel
{
    // Host values of the sa_flags bits the kernel acts on (guest values differ: LinuxAbi.SignalActionFlags).
    private const int SaOnStack = 0x0800_0000, SaNoDefer = 0x4000_0000, SaResetHand = unchecked((int)0x8000_0000);

    private readonly ThreadSignals _thread;
    private readonly SignalSet _unblockable;

    /// <summary>Cancelled to wake this thread from a wait when a signal for it arrives (or its process ends).</summary>
    private CancellationTokenSource _interrupt;

    /// <summary>Set by rt_sigreturn: the registers (result and PC included) were restored from a frame.</summary>
    private bool _frameRestored;

    private ProcessSignals ProcessSignals => _process.Signals;

    /// <summary>Instructions per slice: shorter while an interval timer is armed, so it fires on time.</summary>
    private long SliceLength
    {
        get
        {
            foreach (IntervalTimer timer in ProcessSignals.Timers)
            {
                if (timer.IsArmed)
                {
                    return Slice >> 4;
                }
            }

            return Slice;
        }
    }

    /// <summary>
    /// Queues a signal sent to the whole process (kill, timers, SIGPIPE, a child's exit). Any thread
    /// that does not block it may take it; this one is woken if it does not block it, otherwise the
    /// first other thread that does not (or that waits for it in sigtimedwait).
    /// </summary>
    public void RaiseProcessSignal(in SignalInfo info)
    {
        lock (ProcessSignals.Lock)
        {
            ProcessSignals.Pending.Raise(info);
            int signal = info.Signal;
            LinuxKernel? target = _thread.Wants(signal) && _process.Threads.Find(_tid) == this
                ? this
                : _process.Threads.FirstThat(thread => thread._thread.Wants(signal));
            target?.Interrupt(); // (the raiser may be another host thread: a child watcher)
        }
    }

    /// <summary>Queues a signal for this thread alone (tgkill, a bad sigreturn) and wakes it if it waits.</summary>
    private void RaiseThreadSignal(in SignalInfo info)
    {
        lock (ProcessSignals.Lock)
        {
            _thread.Pending.Raise(info);
            Interrupt();
        }
    }

    /// <summary>Wakes this thread from the wait it may be in (called under the signal lock).</summary>
    private void Interrupt() => _interrupt.Cancel();

    /// <summary>The token a wait of this thread observes: a fresh one once the last one woke it (unless the process ended).</summary>
    private CancellationToken InterruptToken()
    {
        lock (ProcessSignals.Lock)
        {
            if (_interrupt.IsCancellationRequested && !_process.Threads.HasEnded)
            {
                _interrupt.Dispose();
                _interrupt = CancellationTokenSource.CreateLinkedTokenSource(_process.Threads.Ended);
            }

            return _interrupt.Token;
        }
    }

    /// <summary>
    /// Delivers every pending signal the thread does not block: runs default actions and pushes a
    /// frame for each handler (several nest, the last one runs first, as in the kernel). Returns the
    /// outcome when a signal ends the process.
    /// </summary>
    private GuestOutcome? DeliverSignals()
    {
        if (_thread.Pending.Set.IsEmpty && ProcessSignals.Pending.Set.IsEmpty && _thread.SavedMask is null && !ProcessSignals.Forwarding.HasArrived)
        {
            return null; // (an unlocked look: a signal raised meanwhile is seen after the next slice)
        }

        lock (ProcessSignals.Lock)
        {
            return DeliverSignalsLocked();
        }
    }

    private GuestOutcome? DeliverSignalsLocked()
    {
        TakeForwarded();
        while (NextDeliverable() is int signal and > 0)
        {
            SignalInfo info = _thread.Pending.Set.Contains(signal) ? _thread.Pending.Take(signal) : ProcessSignals.Pending.Take(signal);
            ref SignalAction action = ref ProcessSignals.Action(signal);
            if (action.IsIgnore)
            {
                continue;
            }

            if (action.IsDefault)
            {
                if (DefaultAction(signal) is { } outcome)
                {
                    return outcome;
                }

                continue;
            }

            TraceDelivery(info);
            if (!PushFrame(info, action, ResumePc()))
            {
                return FrameFault();
            }
        }

        if (_thread.SavedMask is { } saved)
        {
            _thread.Blocked = saved;
            _thread.SavedMask = null;
        }

        return null;
    }

    /// <summary>The pending, unblocked signal to deliver next: synchronous faults first, then the lowest number (the kernel's next_signal).</summary>
    private int NextDeliverable()
    {
        SignalSet ready = _thread.Pending.Set.Union(ProcessSignals.Pending.Set).Except(_thread.Blocked);
        if (ready.IsEmpty)
        {
            return 0;
        }

        for (int signal = ready.Lowest; signal != 0; ready = ready.Without(signal), signal = ready.Lowest)
        {
            if (_abi.HostSignal(signal) is HostSignal.SIGSEGV or HostSignal.SIGBUS or HostSignal.SIGILL or HostSignal.SIGTRAP or HostSignal.SIGFPE or HostSignal.SIGSYS)
            {
                return signal;
            }
        }

        return _thread.Pending.Set.Union(ProcessSignals.Pending.Set).Except(_thread.Blocked).Lowest;
    }

    /// <summary>Runs a signal's default action: nothing, stopping the emulator as the kernel stops the process, or the end of the guest.</summary>
    private GuestOutcome? DefaultAction(int signal)
    {
        int host = _abi.HostSignal(signal);
        switch (HostSignal.DefaultAction(host))
        {
            case SignalDefault.Ignore or SignalDefault.Continue:
                return null;
            case SignalDefault.Stop:
                // Job control stops the whole emulator, so the shell sees the guest stop (and SIGCONT resumes it).
                HostSyscalls.Call(HostSyscalls.Kill, HostSyscalls.Call(HostSyscalls.Getpid), HostSignal.SIGSTOP);
                return null;
            default:
                Trace($"+++ killed by {SignalName(signal)} +++");
                return host > 0
                    ? GuestOutcome.Killed(host, _cpu.Pc, RegisterDump())
                    : GuestOutcome.Exited(128 + (signal & 0x7f)); // no host twin to die by (MIPS SIGEMT, real-time signals above 64)
        }
    }

    /// <summary>
    /// A fault of the guest's instruction: delivered at once to its handler, or (when the guest has
    /// none, ignores it or blocks it, as force_sig_fault decides) the end of the process.
    /// </summary>
    private GuestOutcome? Fault(CpuExit exit)
    {
        lock (ProcessSignals.Lock)
        {
            return FaultLocked(exit);
        }
    }

    private GuestOutcome? FaultLocked(CpuExit exit)
    {
        bool mapped = exit.Kind == TrapKind.MemoryFault && _memory.IsMapped((uint)exit.Value);
        (int host, int code) = HostSignal.ForTrap(exit, mapped);
        int signal = _abi.GuestSignal(host);
        ref SignalAction action = ref ProcessSignals.Action(signal);
        if (_thread.Blocked.Contains(signal) || action.IsIgnore)
        {
            action = default;
            _thread.Blocked = _thread.Blocked.Without(signal);
        }

        if (action.IsDefault)
        {
            Trace($"+++ killed by {SignalName(signal)} +++");
            return GuestOutcome.Signaled(host, exit, RegisterDump());
        }

        uint address = exit.Kind is TrapKind.MemoryFault or TrapKind.AddressError ? (uint)exit.Value : (uint)exit.Pc;
        var info = SignalInfo.Fault(signal, code, address);
        TraceDelivery(info);
        return PushFrame(info, action, ResumePc()) ? null : FrameFault();
    }

    /// <summary>
    /// Builds the handler's frame (on the alternate stack when asked and not already on it), blocks
    /// the handler's mask, and points the CPU at the handler. False if the frame does not fit.
    /// </summary>
    private bool PushFrame(in SignalInfo info, SignalAction action, uint resumePc)
    {
        int flags = LinuxAbi.Translate((int)action.Flags, _abi.SignalActionFlags, toHost: true);
        uint sp = _abi.StackPointer(_cpu);
        SignalStack alt = _thread.AltStack;
        if ((flags & SaOnStack) != 0 && alt.IsEnabled && !alt.Contains(sp))
        {
            sp = alt.Base + alt.Size;
            if ((alt.Flags & SignalStack.AutoDisarm) != 0)
            {
                _thread.AltStack = SignalStack.Disabled;
            }
        }

        SignalSet saved = _thread.SavedMask ?? _thread.Blocked;
        var frame = new SignalFrame(info, action.Handler, sp, resumePc, saved, alt, EnsureTrampoline());
        try
        {
            _abi.PushSignalFrame(_cpu, frame);
        }
        catch (GuestFaultException)
        {
            return false;
        }

        _thread.SavedMask = null;
        SignalSet blocked = _thread.Blocked.Union(action.Mask);
        if ((flags & SaNoDefer) == 0)
        {
            blocked = blocked.With(info.Signal);
        }

        _thread.Blocked = blocked.Except(_unblockable);
        if ((flags & SaResetHand) != 0)
        {
            ProcessSignals.Action(info.Signal) = default;
            UpdateForwarding(info.Signal, default);
        }

        return true;
    }

    /// <summary>A frame that cannot be written or read back kills the process with SIGSEGV (the kernel's force_sigsegv).</summary>
    private GuestOutcome FrameFault()
    {
        Trace("+++ killed by SIGSEGV (bad signal frame) +++");
        return GuestOutcome.Killed(HostSignal.SIGSEGV, _cpu.Pc, RegisterDump());
    }

    /// <summary>
    /// Where the interrupted code resumes: the PC, or the branch before it when the PC is a delay
    /// slot (the kernel saves EPC with Cause.BD set, and the branch runs again on return).
    /// </summary>
    private uint ResumePc()
    {
        ulong pc = _cpu.Pc;
        return _cpu.NextPc != pc + (ulong)_cpu.Isa.InstructionBytes ? (uint)(pc - (ulong)_cpu.Isa.InstructionBytes) : (uint)pc;
    }

    /// <summary>Maps the page holding the ABI's sigreturn code once, where MIPS's kernel puts its VDSO (just above the stack).</summary>
    private uint EnsureTrampoline()
    {
        if (ProcessSignals.Trampoline != 0)
        {
            return ProcessSignals.Trampoline;
        }

        uint page = !_memory.IsMapped(GuestProcess.StackTop) ? GuestProcess.StackTop
            : _process.FindFree(GuestMemory.PageSize) ?? throw new InvalidOperationException("no guest address space left for the sigreturn trampoline");
        _memory.Map(page, GuestMemory.PageSize, MemoryPermissions.ReadWrite);
        _memory.Poke(page, _abi.SigreturnTrampoline(_bigEndian));
        _memory.Protect(page, GuestMemory.PageSize, MemoryPermissions.ReadExecute);
        ProcessSignals.Trampoline = page;
        return page;
    }

    /// <summary>Queues the host signals caught for the guest since the last look (sender unknown: as from the kernel).</summary>
    private void TakeForwarded()
    {
        for (long arrived = ProcessSignals.Forwarding.TakeArrived(); arrived != 0; arrived &= arrived - 1)
        {
            int host = System.Numerics.BitOperations.TrailingZeroCount(arrived) + 1;
            RaiseProcessSignal(SignalInfo.FromProcess(_abi.GuestSignal(host), SignalInfo.User, 0, 0));
        }
    }

    /// <summary>Catches a host signal while the guest handles or ignores it, so an outside kill reaches the guest.</summary>
    private void UpdateForwarding(int signal, in SignalAction action)
    {
        int host = _abi.HostSignal(signal);
        if (host > 0)
        {
            ProcessSignals.Forwarding.Catch(host, enable: !action.IsDefault);
        }
    }

    /// <summary>Raises the signals of interval timers that expired; true if any did.</summary>
    private bool CheckTimers()
    {
        bool fired = false;
        foreach (IntervalTimer timer in ProcessSignals.Timers)
        {
            if (!timer.IsArmed)
            {
                continue;
            }

            lock (ProcessSignals.Lock)
            {
                if (timer.IsArmed && timer.Expire(TimerNow(timer)))
                {
                    RaiseProcessSignal(SignalInfo.FromKernel(_abi.GuestSignal(timer.HostSignal)));
                    fired = true;
                }
            }
        }

        return fired;
    }

    /// <summary>
    /// The time on a timer's clock. The CPU-time timers count the guest's threads only (not the
    /// runtime's helper threads): the CPU clocks of the live ones plus what the exited ones used.
    /// </summary>
    private long TimerNow(IntervalTimer timer)
    {
        if (timer.HostClock != IntervalTimer.GuestCpuClock)
        {
            return Now(timer.HostClock);
        }

        return ProcessSignals.ExitedThreadsCpuTime + _process.Threads.Sum(static thread => thread._hostTid == 0 ? 0 : Now(ThreadCpuClock(thread._hostTid)));
    }

    /// <summary>The host's clock id of a thread's CPU time (the kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)).</summary>
    private static int ThreadCpuClock(int hostTid) => (~hostTid << 3) | 6;

    /// <summary>
    /// Whether a pending signal would interrupt a wait: one with a handler, or one that ends the
    /// process. Pending signals that would be ignored are dropped here, as delivery would drop them.
    /// </summary>
    private bool SignalInterrupts()
    {
        CheckTimers();
        lock (ProcessSignals.Lock)
        {
            return SignalInterruptsLocked();
        }
    }

    private bool SignalInterruptsLocked()
    {
        TakeForwarded();
        SignalSet ready = _thread.Pending.Set.Union(ProcessSignals.Pending.Set).Except(_thread.Blocked);
        for (int signal = ready.Lowest; signal != 0; ready = ready.Without(signal), signal = ready.Lowest)
        {
            SignalAction action = ProcessSignals.Action(signal);
            SignalDefault byDefault = HostSignal.DefaultAction(_abi.HostSignal(signal));
            if (action.IsIgnore || (action.IsDefault && byDefault is SignalDefault.Ignore or SignalDefault.Continue))
            {
                _thread.Pending.Discard(signal);
                ProcessSignals.Pending.Discard(signal);
            }
            else if (!action.IsDefault || byDefault != SignalDefault.Stop)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Waits as a blocking syscall does: <paramref name="wait"/> does one wait of at most the given
    /// nanoseconds (-1: no limit), which ends early when the token is cancelled, and returns non-zero
    /// when its syscall is done. The wait is cut at each ITIMER_REAL expiry, so a timer signal
    /// interrupts it (-EINTR), and a signal another thread sends wakes it through the token. Returns
    /// the wait's result, 0 when <paramref name="timeout"/> (ns, -1: none) passes, or -EINTR (also
    /// when the process ends).
    /// </summary>
    private long InterruptibleWait(long timeout, Func<long, CancellationToken, long> wait)
    {
        long start = Now(Monotonic);
        long deadline = timeout < 0 ? long.MaxValue : start + timeout;
        IntervalTimer real = ProcessSignals.Timers[0];
        while (true)
        {
            CancellationToken interrupt = InterruptToken();
            if (interrupt.IsCancellationRequested || SignalInterrupts())
            {
                return -(long)Errno.EINTR; // (a cancelled fresh token: the process ended)
            }

            long now = Now(Monotonic);
            long timerDeadline = real.Deadline;
            long until = timerDeadline != 0 ? Math.Min(deadline, timerDeadline) : deadline;
            if (ProcessSignals.Forwarding.IsActive)
            {
                until = Math.Min(until, now + ForwardingPoll); // a caught host signal does not interrupt the host wait itself
            }

            long result = wait(until == long.MaxValue ? -1 : Math.Max(0, until - now), interrupt);
            if (result != 0 && result != -(long)Errno.EINTR)
            {
                return result;
            }

            if (Now(Monotonic) >= deadline)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// The longest a host wait that cannot see the interrupt token (poll, select) may last while other
    /// guest threads could send this one a signal.
    /// </summary>
    private long HostWaitSlice(long nanoseconds)
    {
        const long Recheck = 10_000_000;
        return _process.Threads.Count > 1 && (nanoseconds < 0 || nanoseconds > Recheck) ? Recheck : nanoseconds;
    }

    private const int Monotonic = 1;

    /// <summary>How often a blocking wait looks for caught host signals (50 ms).</summary>
    private const long ForwardingPoll = 50_000_000;

    private static unsafe long Now(int hostClock)
    {
        long* ts = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, hostClock, (nint)ts);
        return (ts[0] * 1_000_000_000) + ts[1];
    }

    /// <summary>A sleep of <paramref name="nanoseconds"/> (-1: no limit) that a signal for this thread cuts short, for <see cref="InterruptibleWait"/>.</summary>
    private static long SleepUntilSignal(long nanoseconds, CancellationToken interrupt)
    {
        interrupt.WaitHandle.WaitOne(nanoseconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
        return 0;
    }

    private string SignalName(int guestSignal) => _abi.HostSignal(guestSignal) is var host and > 0 ? HostSignal.Name(host) : $"signal {guestSignal}";

    private void Trace(string line) => _strace?.WriteLine(StracePrefix + line);

    private static int ValidSignalOrZero(int signal, int count) => signal >= 1 && signal <= count ? signal : 0;

    // ---- syscalls ------------------------------------------------------------------------------

    private long SignalAction(int signal, uint actionAddress, uint oldAddress, uint setSize)
    {
        if (setSize != _abi.SignalSetBytes || ValidSignalOrZero(signal, ProcessSignals.SignalCount) == 0)
        {
            return -(long)Errno.EINVAL;
        }

        SignalAction? replacement = null;
        if (actionAddress != 0)
        {
            if (_unblockable.Contains(signal))
            {
                return -(long)Errno.EINVAL;
            }

            Span<byte> bytes = stackalloc byte[_abi.SignalActionSize];
            _memory.Read(actionAddress, bytes);
            SignalAction read = _abi.ReadSignalAction(bytes, _bigEndian);
            replacement = read with { Mask = read.Mask.Except(_unblockable) };
        }

        SignalAction old;
        lock (ProcessSignals.Lock)
        {
            ref SignalAction action = ref ProcessSignals.Action(signal);
            old = action;
            if (replacement is { } act)
            {
                action = act;
                UpdateForwarding(signal, act);
                SignalDefault byDefault = HostSignal.DefaultAction(_abi.HostSignal(signal));
                if (act.IsIgnore || (act.IsDefault && byDefault is SignalDefault.Ignore or SignalDefault.Continue))
                {
                    // POSIX: setting a pending signal to be ignored discards it, for the process and every thread.
                    ProcessSignals.Pending.Discard(signal);
                    _process.Threads.ForEach(thread => thread._thread.Pending.Discard(signal));
                }
            }
        }

        if (oldAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[_abi.SignalActionSize];
            bytes.Clear();
            _abi.WriteSignalAction(bytes, old, _bigEndian);
            _memory.Write(oldAddress, bytes);
        }

        return 0;
    }

    private long SignalMask(int how, uint setAddress, uint oldAddress, uint setSize)
    {
        if (setSize != _abi.SignalSetBytes)
        {
            return -(long)Errno.EINVAL;
        }

        SignalSet old = _thread.Blocked;
        if (setAddress != 0)
        {
            SignalSet set = ReadSignalSet(setAddress);
            (int block, int unblock, int setMask) = _abi.SignalMaskHow;
            SignalSet blocked = how == block ? old.Union(set) : how == unblock ? old.Except(set) : how == setMask ? set : default;
            if (how != block && how != unblock && how != setMask)
            {
                return -(long)Errno.EINVAL;
            }

            _thread.Blocked = blocked.Except(_unblockable);
        }

        if (oldAddress != 0)
        {
            WriteSignalSet(oldAddress, old);
        }

        return 0;
    }

    private long SignalPending(uint setAddress, uint setSize)
    {
        if (setSize > _abi.SignalSetBytes)
        {
            return -(long)Errno.EINVAL;
        }

        SignalSet pending;
        lock (ProcessSignals.Lock)
        {
            pending = _thread.Pending.Set.Union(ProcessSignals.Pending.Set).Intersect(_thread.Blocked);
        }

        WriteSignalSet(setAddress, pending, (int)setSize);
        return 0;
    }

    private long AltStack(uint stackAddress, uint oldAddress)
    {
        uint sp = _abi.StackPointer(_cpu);
        SignalStack current = _thread.AltStack;
        if (stackAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[_abi.SignalStackSize];
            _memory.Read(stackAddress, bytes);
            long result = SetAltStack(_abi.ReadSignalStack(bytes, _bigEndian), sp);
            if (result < 0)
            {
                return result;
            }
        }

        if (oldAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[_abi.SignalStackSize];
            _abi.WriteSignalStack(bytes, current with { Flags = current.ReportedFlags(sp) }, _bigEndian);
            _memory.Write(oldAddress, bytes);
        }

        return 0;
    }

    /// <summary>The kernel's do_sigaltstack checks: not while running on it, known flags, a big enough stack.</summary>
    private long SetAltStack(SignalStack stack, uint sp)
    {
        if (_thread.AltStack.Contains(sp))
        {
            return -(long)Errno.EPERM;
        }

        int mode = stack.Flags & ~SignalStack.AutoDisarm;
        if (mode is not (0 or SignalStack.Disable or SignalStack.OnStack))
        {
            return -(long)Errno.EINVAL;
        }

        if (mode == SignalStack.Disable)
        {
            _thread.AltStack = SignalStack.Disabled;
            return 0;
        }

        if (stack.Size < _abi.MinSignalStackSize)
        {
            return -(long)Errno.ENOMEM;
        }

        _thread.AltStack = stack with { Flags = stack.Flags & SignalStack.AutoDisarm };
        return 0;
    }

    /// <summary>rt_sigreturn: the registers, mask and alternate stack saved in the handler's frame come back.</summary>
    private long SignalReturn()
    {
        uint sp = _abi.StackPointer(_cpu);
        (SignalSet mask, SignalStack stack) frame;
        try
        {
            frame = _abi.PopSignalFrame(_cpu);
        }
        catch (GuestFaultException)
        {
            lock (ProcessSignals.Lock)
            {
                ProcessSignals.Action(_abi.GuestSignal(HostSignal.SIGSEGV)) = default;
            }

            RaiseThreadSignal(SignalInfo.FromKernel(_abi.GuestSignal(HostSignal.SIGSEGV)));
            return -(long)Errno.EFAULT;
        }

        _frameRestored = true;
        _thread.Blocked = frame.mask.Except(_unblockable);
        SetAltStack(frame.stack, sp); // as restore_altstack: a bad saved stack is ignored
        return 0;
    }

    private long Kill(int pid, int signal)
    {
        int self = (int)HostSyscalls.Call(HostSyscalls.Getpid);
        if (signal < 0 || signal > ProcessSignals.SignalCount)
        {
            return -(long)Errno.EINVAL;
        }

        // The guest's own process (also named by one of its threads' ids, and its group, of which only
        // it is emulated here) is signalled here; others get the host signal from the host kernel,
        // and kill(-1) skips the caller there.
        if (pid != self && pid != 0 && pid != -(int)HostSyscalls.Call(HostSyscalls.Getpgrp) && (pid < 0 || _process.Threads.Find(pid) is null))
        {
            long result = HostKill(HostSyscalls.Kill, signal, pid);
            if (result < 0 || pid != -1)
            {
                return result;
            }
        }

        if (signal != 0)
        {
            RaiseProcessSignal(SignalInfo.FromProcess(signal, SignalInfo.User, self, (int)HostSyscalls.Call(HostSyscalls.Getuid)));
        }

        return 0;
    }

    /// <summary>
    /// tgkill and tkill (thread group -1): a signal for one guest thread of this process is queued for
    /// it (and wakes it); a thread of another process gets the host signal from the host kernel.
    /// </summary>
    private long ThreadKill(int threadGroup, int thread, int signal)
    {
        int self = (int)HostSyscalls.Call(HostSyscalls.Getpid);
        if (signal < 0 || signal > ProcessSignals.SignalCount || thread <= 0 || (threadGroup <= 0 && threadGroup != -1))
        {
            return -(long)Errno.EINVAL;
        }

        LinuxKernel? target = threadGroup == -1 || threadGroup == self ? _process.Threads.Find(thread) : null;
        if (target is null)
        {
            return threadGroup == self ? -(long)Errno.ESRCH
                : threadGroup == -1 ? HostKill(HostSyscalls.Tkill, signal, thread) : HostKill(HostSyscalls.Tgkill, signal, threadGroup, thread);
        }

        if (signal != 0)
        {
            target.RaiseThreadSignal(SignalInfo.FromProcess(signal, SignalInfo.Tkill, self, (int)HostSyscalls.Call(HostSyscalls.Getuid)));
        }

        return 0;
    }

    private long HostKill(long number, int guestSignal, int target, int thread = 0)
    {
        int host = guestSignal == 0 ? 0 : _abi.HostSignal(guestSignal);
        if (guestSignal != 0 && host == 0)
        {
            return -(long)Errno.EINVAL;
        }

        return number == HostSyscalls.Tgkill ? HostSyscalls.Call(number, target, thread, host) : HostSyscalls.Call(number, target, host);
    }

    /// <summary>rt_sigsuspend: waits under a temporary mask until a signal runs a handler (or ends the process).</summary>
    private long SignalSuspend(uint maskAddress, uint setSize)
    {
        if (setSize != _abi.SignalSetBytes)
        {
            return -(long)Errno.EINVAL;
        }

        SignalSet mask = ReadSignalSet(maskAddress);
        _thread.SavedMask = _thread.Blocked;
        _thread.Blocked = mask.Except(_unblockable);
        return InterruptibleWait(-1, SleepUntilSignal);
    }

    private long Pause() => InterruptibleWait(-1, SleepUntilSignal);

    /// <summary>
    /// rt_sigtimedwait (sigwaitinfo, sigtimedwait): takes a pending signal of the set, normally
    /// blocked, without running its handler; EAGAIN when the timeout passes first, EINTR when another
    /// signal interrupts.
    /// </summary>
    private long SignalTimedWait(uint setAddress, uint infoAddress, uint timeoutAddress, uint setSize, bool time64)
    {
        if (setSize != _abi.SignalSetBytes)
        {
            return -(long)Errno.EINVAL;
        }

        SignalSet set = ReadSignalSet(setAddress).Except(_unblockable);
        long timeout = -1;
        if (timeoutAddress != 0 && !TryReadTimespec(timeoutAddress, time64, out timeout))
        {
            return -(long)Errno.EINVAL;
        }

        // While waiting, the set counts as blocked so that its signals are taken here, not delivered,
        // and as awaited so that a signal of the set sent to the process wakes this thread.
        SignalSet blocked = _thread.Blocked;
        _thread.Blocked = blocked.Union(set);
        _thread.Awaited = set;
        long result = Waiting(set) ? 1 : InterruptibleWait(timeout, (slice, interrupt) =>
        {
            SleepUntilSignal(slice, interrupt);
            return Waiting(set) ? 1 : 0;
        });
        _thread.Awaited = SignalSet.Empty;
        _thread.Blocked = blocked;
        if (result <= 0)
        {
            return result == 0 ? -(long)Errno.EAGAIN : result;
        }

        int signal;
        SignalInfo info;
        lock (ProcessSignals.Lock)
        {
            signal = _thread.Pending.Set.Intersect(set).Lowest is var own and > 0 ? own : ProcessSignals.Pending.Set.Intersect(set).Lowest;
            if (signal == 0)
            {
                return -(long)Errno.EAGAIN; // another thread took it first (the timeout had not passed: as a spurious wake-up)
            }

            info = _thread.Pending.Set.Contains(signal) ? _thread.Pending.Take(signal) : ProcessSignals.Pending.Take(signal);
        }

        if (infoAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[_abi.SignalInfoSize];
            _abi.WriteSignalInfo(bytes, info, _bigEndian);
            _memory.Write(infoAddress, bytes);
        }

        return signal;
    }

    private bool Waiting(SignalSet set)
    {
        CheckTimers();
        lock (ProcessSignals.Lock)
        {
            TakeForwarded();
            return !_thread.Pending.Set.Union(ProcessSignals.Pending.Set).Intersect(set).IsEmpty;
        }
    }

    // ---- interval timers -----------------------------------------------------------------------

    private long GetIntervalTimer(int which, uint address)
    {
        if (which is < 0 or > 2)
        {
            return -(long)Errno.EINVAL;
        }

        IntervalTimer timer = ProcessSignals.Timers[which];
        long interval, remaining;
        lock (ProcessSignals.Lock)
        {
            interval = timer.Interval;
            remaining = timer.Remaining(TimerNow(timer));
        }

        WriteTimerValue(address, interval, remaining);
        return 0;
    }

    private long SetIntervalTimer(int which, uint valueAddress, uint oldAddress)
    {
        if (which is < 0 or > 2)
        {
            return -(long)Errno.EINVAL;
        }

        long interval = 0, value = 0;
        if (valueAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[16];
            _memory.Read(valueAddress, bytes);
            if (!TryTimeval(bytes, out interval) || !TryTimeval(bytes[8..], out value))
            {
                return -(long)Errno.EINVAL;
            }
        }

        IntervalTimer timer = ProcessSignals.Timers[which];
        long oldInterval, oldRemaining;
        lock (ProcessSignals.Lock)
        {
            long now = TimerNow(timer);
            oldInterval = timer.Interval;
            oldRemaining = timer.Remaining(now);
            timer.Set(now, value, interval);
        }

        if (oldAddress != 0)
        {
            WriteTimerValue(oldAddress, oldInterval, oldRemaining);
        }

        return 0;
    }

    /// <summary>alarm: ITIMER_REAL in whole seconds; returns the seconds that were left, rounded as the kernel does.</summary>
    private long Alarm(uint seconds)
    {
        IntervalTimer timer = ProcessSignals.Timers[0];
        long left;
        lock (ProcessSignals.Lock)
        {
            long now = Now(timer.HostClock);
            left = timer.Remaining(now);
            timer.Set(now, seconds * 1_000_000_000L, 0);
        }

        long leftSeconds = left / 1_000_000_000, leftMicros = left % 1_000_000_000 / 1000;
        return (leftSeconds == 0 && left > 0) || leftMicros >= 500_000 ? leftSeconds + 1 : leftSeconds;
    }

    /// <summary>A guest <c>struct timeval</c> (32-bit fields) as nanoseconds; false if tv_usec is out of range.</summary>
    private bool TryTimeval(ReadOnlySpan<byte> bytes, out long nanoseconds)
    {
        int seconds = (int)ReadWord(bytes), micros = (int)ReadWord(bytes[4..]);
        nanoseconds = (seconds * 1_000_000_000L) + (micros * 1000L);
        return micros is >= 0 and < 1_000_000 && seconds >= 0;
    }

    /// <summary>Writes a guest <c>struct itimerval</c>: it_interval, then it_value.</summary>
    private void WriteTimerValue(uint address, long interval, long value)
    {
        Span<byte> bytes = stackalloc byte[16];
        var w = new GuestStructWriter(bytes, _bigEndian);
        w.U32(0, (uint)(interval / 1_000_000_000));
        w.U32(4, (uint)(interval % 1_000_000_000 / 1000));
        w.U32(8, (uint)(value / 1_000_000_000));
        w.U32(12, (uint)(value % 1_000_000_000 / 1000));
        _memory.Write(address, bytes);
    }

    private SignalSet ReadSignalSet(uint address)
    {
        Span<byte> bytes = stackalloc byte[_abi.SignalSetBytes];
        _memory.Read(address, bytes);
        return SignalSet.Read(bytes, _abi.WordBytes, _bigEndian);
    }

    private void WriteSignalSet(uint address, SignalSet set, int size = -1)
    {
        Span<byte> bytes = stackalloc byte[_abi.SignalSetBytes];
        set.Write(bytes, _abi.WordBytes, _bigEndian);
        _memory.Write(address, bytes[..(size < 0 ? bytes.Length : size)]);
    }

    /// <summary>A write to a pipe or socket with no reader sends SIGPIPE as well as failing with EPIPE (the host runtime ignores its own).</summary>
    private void AfterSyscall(LinuxSyscall call, long result)
    {
        if (result == -(long)Errno.EPIPE && call is LinuxSyscall.write or LinuxSyscall.writev or LinuxSyscall.pwrite64 or LinuxSyscall.pwritev
            or LinuxSyscall.send or LinuxSyscall.sendto or LinuxSyscall.sendmsg)
        {
            RaiseProcessSignal(SignalInfo.FromProcess(_abi.GuestSignal(HostSignal.SIGPIPE), SignalInfo.User, (int)HostSyscalls.Call(HostSyscalls.Getpid), (int)HostSyscalls.Call(HostSyscalls.Getuid)));
        }
    }
}
