using System.Runtime.InteropServices;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Backends.Jit;

/// <summary>
/// A guest CPU that runs translated blocks. It shares its state with a generated interpreter, which
/// runs what the JIT leaves to it: instructions without a JIT lowering, the instruction of a trap or a
/// fault (so every exit is exactly the interpreter's), and the tail of an execution budget.
/// </summary>
internal sealed unsafe class JitCpu : ICpu
{
    private readonly JitEngine _engine;
    private readonly ICpu _interpreter;
    private readonly byte* _state;
    private readonly StateLayout _layout;
    private readonly int _insnBytes;
    private long _retired;
    private GCHandle _self;

    public JitCpu(JitEngine engine, ICpu interpreter)
    {
        _engine = engine;
        _interpreter = interpreter;
        _state = (byte*)interpreter.StateAddress;
        _layout = engine.Isa.StateLayout;
        _insnBytes = engine.Isa.InstructionBytes;
        *(nint*)(_state + JitContext.FaultLanding) = engine.Stubs.FaultLanding;
        *(nint*)(_state + JitContext.WindowBase) = engine.Memory.WindowBase;
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        *(nint*)(_state + JitContext.CallOutHandle) = GCHandle.ToIntPtr(_self);
        *(nint*)(_state + JitContext.CallOutFunction) = (nint)(delegate* unmanaged<nint, long, int>)&CallOutFromJitCode;
        engine.Host.AttachCpu((nint)_state, _layout.Size);
    }

    ~JitCpu() => _self.Free();

    /// <summary>
    /// Called by JIT code for a run of instructions it does not translate (from the state's PC):
    /// 0 when all <paramref name="count"/> completed, else the run stopped at a trap or fault.
    /// </summary>
    [UnmanagedCallersOnly]
    private static int CallOutFromJitCode(nint handle, long count)
    {
        try
        {
            var cpu = (JitCpu)GCHandle.FromIntPtr(handle).Target!;
            long before = cpu._interpreter.InstructionsRetired;
            CpuExit exit = cpu._interpreter.Run(count);
            long done = cpu._interpreter.InstructionsRetired - before;
            *(long*)(cpu._state + JitContext.CallOutRetired) = done;
            return done == count && exit.Kind == TrapKind.BudgetExhausted ? 0 : 1;
        }
        catch (Exception)
        {
            // Never unwind into JIT code: the dispatcher runs the instruction again and sees the error.
            return -1;
        }
    }

    public GuestIsa Isa => _interpreter.Isa;

    public GuestMemory Memory => _interpreter.Memory;

    public nint StateAddress => _interpreter.StateAddress;

    public ulong Pc
    {
        get => _interpreter.Pc;
        set => _interpreter.Pc = value;
    }

    public long InstructionsRetired => _retired;

    public ulong GetRegister(int file, int index) => _interpreter.GetRegister(file, index);

    public void SetRegister(int file, int index, ulong value) => _interpreter.SetRegister(file, index, value);

    public void SkipTrappedInstruction()
    {
        _interpreter.SkipTrappedInstruction();
        _retired++;
    }

    public CpuExit Run(long maxInstructions)
    {
        ref long budget = ref *(long*)(_state + JitContext.Budget);
        budget = maxInstructions;
        try
        {
            return Dispatch(ref budget);
        }
        finally
        {
            _retired += maxInstructions - budget;
        }
    }

    private CpuExit Dispatch(ref long budget)
    {
        IExecutionHost host = _engine.Host;
        host.PrepareThread(Memory);
        // Where the last run stopped (a budget's end) is often the middle of a block: unless a block
        // starts there, it is interpreted to its block's end and does not count as a visit, so that
        // every place a budget happened to end does not become a block of its own.
        bool resumed = _engine.Options.InterpretFirstVisit;
        bool lookupMiss = false;
        while (true)
        {
            if (budget <= 0)
            {
                return new CpuExit(TrapKind.BudgetExhausted, Pc);
            }

            ulong pc = Pc;
            bool plain = NextPc == pc + (ulong)_insnBytes && (pc & (ulong)(_insnBytes - 1)) == 0;
            int interpret = 1;
            JitBlock? block = plain ? _engine.GetBlock(pc, translateNow: !_engine.Options.InterpretFirstVisit, out interpret, countVisit: !resumed) : null;
            resumed = false;
            if (lookupMiss && block is not null)
            {
                // Another target took its table entry: it gets it back, or every later jump here misses too.
                _engine.Remember(block);
            }

            lookupMiss = false;
            if (block is null)
            {
                if (Interpret(ref budget, Math.Max(1, Math.Min(interpret, budget))) is { } stop)
                {
                    return stop;
                }

                continue;
            }

            if (!_engine.EnterCode(block, out long generation))
            {
                continue; // a flush or a write to its page dropped the block meanwhile
            }

            ExitReason reason;
            nint exitSite;
            long before = budget;
            try
            {
                reason = (ExitReason)host.Run((nint)_state, block.Entry);
                if (reason == ExitReason.HostFault)
                {
                    RecoverFromFault(ref budget); // maps the host RIP back to its block, which a flush would drop
                }

                exitSite = *(nint*)(_state + JitContext.ExitSite);
            }
            finally
            {
                _engine.LeaveCode();
            }

            _engine.Statistics.CountExit(reason == ExitReason.Lookup);
            _engine.Ran(before - budget);
            switch (reason)
            {
                case ExitReason.Link:
                    NextPc = Pc + (ulong)_insnBytes;
                    // A target never reached before is interpreted first (the next lookup), as any block is:
                    // linking to it now would translate code that may run only once.
                    if ((!_engine.Options.InterpretFirstVisit || _engine.Visited(Pc)) && _engine.GetBlock(Pc) is { } target)
                    {
                        _engine.Link(exitSite, target, generation);
                    }

                    break;
                case ExitReason.Lookup:
                    NextPc = Pc + (ulong)_insnBytes;
                    lookupMiss = true;
                    break;
                case ExitReason.Budget:
                    NextPc = Pc + (ulong)_insnBytes;
                    return Interpret(ref budget, budget) ?? new CpuExit(TrapKind.BudgetExhausted, Pc);
                case ExitReason.HostFault:
                    if (Interpret(ref budget) is { } fault)
                    {
                        return fault;
                    }

                    break;
                default:
                    // Interpret requests and traps: the interpreter runs the instruction, so a trap's exit is exactly its own.
                    if (Interpret(ref budget) is { } trap)
                    {
                        return trap;
                    }

                    break;
            }
        }
    }

    public ulong NextPc
    {
        get => _layout.PcBytes == 8 ? *(ulong*)(_state + _layout.NextPcOffset) : *(uint*)(_state + _layout.NextPcOffset);
        private set
        {
            if (_layout.PcBytes == 8)
            {
                *(ulong*)(_state + _layout.NextPcOffset) = value;
            }
            else
            {
                *(uint*)(_state + _layout.NextPcOffset) = (uint)value;
            }
        }
    }

    /// <summary>Runs up to <paramref name="count"/> instructions on the interpreter; null if they all completed.</summary>
    private CpuExit? Interpret(ref long budget, long count = 1)
    {
        if (budget <= 0)
        {
            return new CpuExit(TrapKind.BudgetExhausted, Pc);
        }

        long before = _interpreter.InstructionsRetired;
        CpuExit exit = _interpreter.Run(count);
        budget -= _interpreter.InstructionsRetired - before;
        return exit.Kind == TrapKind.BudgetExhausted ? null : exit;
    }

    /// <summary>
    /// Puts the state back at the start of the faulting guest instruction (or of the branch a delay
    /// slot emitted before it restarts at): the guest registers the block held come from the host
    /// registers the landing pad saved.
    /// </summary>
    private void RecoverFromFault(ref long budget)
    {
        nint rip = *(nint*)(_state + JitContext.FaultRip);
        JitBlock block = _engine.FindByHostAddress(rip)
            ?? throw new InvalidOperationException($"host fault at 0x{rip:x} in JIT code outside any block");
        int index = block.RestartIndex(block.InstructionAt(rip));
        foreach (X64.X64Emitter.Home h in block.Homes)
        {
            ulong value = *(ulong*)(_state + JitContext.SavedRegisters + (8 * h.Register));
            if (h.Bytes == 8)
            {
                *(ulong*)(_state + h.Offset) = value;
            }
            else
            {
                *(uint*)(_state + h.Offset) = (uint)value;
            }
        }

        ulong pc = block.Pc + (ulong)(index * _insnBytes);
        if (_layout.PcBytes == 8)
        {
            *(ulong*)(_state + _layout.PcOffset) = pc;
        }
        else
        {
            *(uint*)(_state + _layout.PcOffset) = (uint)pc;
        }

        if (index != block.DelaySlot)
        {
            NextPc = pc + (ulong)_insnBytes;
        }

        budget += block.Length - index;
    }
}
