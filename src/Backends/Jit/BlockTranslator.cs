using Iced.Intel;
using Isa.Backends.Jit.X64;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit;

/// <summary>
/// Translates one guest block: decodes up to the first instruction that ends a block (plus its
/// delay slot), lets the generated frontend emit each instruction, and closes the block with its
/// exits. An instruction the frontend cannot lower ends the block early with an exit that has the
/// interpreter run it. Everything here is ISA-neutral: the frontend, the state layout and the
/// instruction flags come from the generated code.
/// </summary>
internal sealed class BlockTranslator
{
    public static readonly int MaxInstructions = int.TryParse(Environment.GetEnvironmentVariable("ISA_JIT_MAX_BLOCK"), out int n) ? n : 96;
    private readonly GuestIsa _isa;
    private readonly GuestMemory _memory;
    private readonly JitOptions _options;
    private readonly JitRuntimeStubs _stubs;
    private readonly int _insnBytes;

    // One assembler for every block (reset each time): a new one allocates its instruction list again.
    private readonly Assembler _assembler = new(64);

    // The instructions of the block being decoded, reused likewise (a first visit only counts them).
    private readonly List<GuestInstruction> _decoded = [];

    // The dry run's counter, reused likewise.
    private readonly RegisterUseCounter _counter;

    // And the rest of a translation's working state, so that translating allocates nothing per block:
    // the emitter (reset per attempt), the instructions left to the interpreter, the homes picked, the
    // emission order, the exit chain's targets and the result handed to the engine.
    private readonly X64Emitter _emitter;
    private readonly HashSet<int> _callOuts = [];
    private readonly List<int> _busiest = [];
    private int[] _order = new int[16];
    private readonly List<ulong> _targets = [];
    private readonly TranslatedBlock _result;

    // Each branch's inputs its delay slot overwrites, captured before the slot when it goes first
    // (EmissionOrder, PlanSegments): a segment's are a run of this list.
    private readonly List<int> _captures = [];

    // Where a superblock may go on past a conditional branch: the index just after the branch (and
    // its delay slot), ascending, from the decoder; the segments the translation keeps, the last one
    // the block's end; the taken exits of the branches inside the block, with the instructions run by then.
    private readonly List<int> _boundaries = [];
    private readonly List<Segment> _segments = [];
    private readonly List<(Label Taken, ulong Target, int Retired)> _sideExits = [];

    // A branch inside the block that turned out not to be a plain conditional one (the emitter folded
    // it, say): the block is translated again ending after it.
    private int _endAfter = -1;

    // Delay slots whose lowering failed with captures held (out of temporaries): their branch keeps NextPc.
    private readonly HashSet<ulong> _noCaptureWords = [];

    // Instruction words whose lowering failed (out of temporaries, say): in later blocks called out
    // from the start, or the block ends before them (a jump, a delay slot), instead of an exception per translation.
    private readonly HashSet<ulong> _failedWords = [];

    private nint _runCounter;

    public BlockTranslator(GuestIsa isa, GuestMemory memory, JitOptions options, JitRuntimeStubs stubs)
    {
        _isa = isa;
        _memory = memory;
        _options = options;
        _stubs = stubs;
        _counter = new RegisterUseCounter(isa) { HostFeatures = options.HostFeatures, UseTemplates = options.UseSpecTemplates };
        _insnBytes = isa.InstructionBytes;
        _emitter = new X64Emitter(_assembler, isa, options.Addressing) { HostFeatures = options.HostFeatures, UseTemplates = options.UseSpecTemplates };
        _result = new TranslatedBlock(_assembler);
    }

    /// <summary>
    /// The guest registers resident in host registers across every block of the engine (see
    /// <see cref="X64Emitter.Home.Resident"/>); set only while no translated code exists.
    /// </summary>
    public X64Emitter.Home[] Resident { get; set; } = [];

    /// <summary>Why the last translation stopped early (for tracing).</summary>
    public string? LastFailure { get; private set; }

    /// <summary>
    /// The block at <paramref name="pc"/>, or null if its first instruction must be interpreted. The
    /// result is the translator's own, valid until its next translation.
    /// </summary>
    /// <param name="runCounter">Where set, the address of a counter the block increments at each run (a profile).</param>
    public TranslatedBlock? Translate(ulong pc, nint runCounter = 0)
    {
        LastFailure = null;
        _runCounter = runCounter;

        // Superblocks once the profile is done: the first translations are many and mostly of code that
        // runs a few times, where copying code after branch targets into several blocks costs more than it saves.
        List<GuestInstruction> instructions = Decode(pc, runCounter != 0 ? 1 : Math.Max(1, _options.SuperblockSegments));
        int native = instructions.Count;
        HashSet<int> callOuts = _callOuts;
        callOuts.Clear();

        // The block ends before an instruction that no decoder knows, a jump in a delay slot (the
        // interpreter's) or one that failed before and cannot be called out, known without emitting:
        // the exception that would teach it costs far more.
        for (int i = 0; i < native; i++)
        {
            GuestInstruction insn = instructions[i];
            if (!insn.Valid || (insn.InDelaySlot && (insn.Flags & InstructionFlags.Jump) != 0) || (!CanCallOut(insn) && _failedWords.Contains(insn.Word)))
            {
                native = EndBefore(instructions, i);
                break;
            }
        }

        while (native > 0)
        {
            try
            {
                _endAfter = -1;
                TranslatedBlock? block = Emit(pc, instructions, ref native, callOuts, direct: true);
                if (block is null && _endAfter < 0)
                {
                    block = Emit(pc, instructions, ref native, callOuts, direct: false);
                }

                if (block is not null)
                {
                    return block;
                }

                native = EndBefore(instructions, _endAfter);
                continue;
            }
            catch (JitUnsupportedException e) when (e.Data["index"] is int index && index < native)
            {
                int slot = CapturedSlot(index);
                if (slot >= 0 && _noCaptureWords.Add(instructions[slot].Word))
                {
                    continue; // the captures took the temporaries the slot needed: again without moving it
                }

                // The interpreter runs it from inside the block; a jump or a delay slot ends the block instead.
                LastFailure = e.Message + " @" + _isa.Disassemble(instructions[index].Word, instructions[index].Pc);
                _failedWords.Add(instructions[index].Word);
                if (!CanCallOut(instructions[index]) || !callOuts.Add(index))
                {
                    native = EndBefore(instructions, index);
                }
            }
        }

        return null;
    }

    /// <summary>The guest registers the last block translated uses (state offset, reads and writes), from its dry run.</summary>
    public Dictionary<int, int> RegisterUses => _counter.Uses;

    /// <summary>How many instructions the block at <paramref name="pc"/> would hold (through its jump and delay slot).</summary>
    public int Length(ulong pc) => Decode(pc, 1).Count;

    /// <summary>
    /// The instructions from <paramref name="pc"/> through the first that ends a block (and its delay
    /// slot), going on past up to <paramref name="segments"/> - 1 conditional branches (their ends
    /// into <see cref="_boundaries"/>): whether the block really may go on is known after the dry run.
    /// </summary>
    private List<GuestInstruction> Decode(ulong pc, int segments)
    {
        List<GuestInstruction> list = _decoded;
        list.Clear();
        _boundaries.Clear();
        ulong p = pc;
        bool delaySlotNext = false;
        InstructionFlags branch = InstructionFlags.None;
        Span<byte> bytes = stackalloc byte[8];
        while (list.Count < Math.Min(MaxInstructions, _options.MaxBlockInstructions) || delaySlotNext)
        {
            if (!_memory.CanAccess((uint)p, (ulong)_insnBytes, MemoryPermissions.Execute))
            {
                break;
            }

            _memory.Peek((uint)p, bytes[.._insnBytes]);
            ulong word = _isa.ReadWord(bytes, 0);
            int opcode = _isa.Decode(word);
            InstructionFlags flags = opcode >= 0 ? _isa.Instructions[opcode].Flags : InstructionFlags.None;
            list.Add(new GuestInstruction(p, word, flags, delaySlotNext, opcode >= 0));
            if (opcode < 0)
            {
                break;
            }

            if (delaySlotNext)
            {
                if (!GoesOnPast(branch, segments))
                {
                    break;
                }

                _boundaries.Add(list.Count);
                delaySlotNext = false;
            }
            else if ((flags & InstructionFlags.EndsBlock) != 0)
            {
                if (_isa.DelaySlot && (flags & InstructionFlags.Jump) != 0)
                {
                    delaySlotNext = true;
                    branch = flags;
                }
                else if (GoesOnPast(flags, segments))
                {
                    _boundaries.Add(list.Count);
                }
                else
                {
                    break;
                }
            }

            p += (ulong)_insnBytes;
        }

        return list;
    }

    /// <summary>A conditional branch to a constant target, not a likely one: the block may go on past it (the not-taken path).</summary>
    private bool GoesOnPast(InstructionFlags branch, int segments)
        => (branch & (InstructionFlags.Jump | InstructionFlags.Branch | InstructionFlags.Indirect | InstructionFlags.Likely)) == (InstructionFlags.Jump | InstructionFlags.Branch)
            && _boundaries.Count + 1 < segments;

    /// <summary>
    /// Where the block ends when instruction <paramref name="index"/> cannot be in it: at the last
    /// boundary at or before it, so that the block ends with a whole branch (the instructions after
    /// are dropped), else just before it (the block's exit has the interpreter run it).
    /// </summary>
    private int EndBefore(List<GuestInstruction> instructions, int index)
    {
        for (int k = _boundaries.Count - 1; k >= 0; k--)
        {
            int end = _boundaries[k];
            if (end <= index)
            {
                instructions.RemoveRange(end, instructions.Count - end);
                _boundaries.RemoveRange(k, _boundaries.Count - k);
                return end;
            }
        }

        return index;
    }

    /// <summary>The delay slot emitted after captures of its branch's inputs, if instruction <paramref name="index"/> is that slot or branch; else -1.</summary>
    private int CapturedSlot(int index)
    {
        foreach (Segment s in _segments)
        {
            if (s.CaptureCount > 0 && (index == s.Branch || index == s.Branch + 1))
            {
                return s.Branch + 1;
            }
        }

        return -1;
    }

    /// <summary>A dry run of the first <paramref name="native"/> instructions: the busiest guest registers get the host registers.</summary>
    private RegisterUseCounter DryRun(List<GuestInstruction> instructions, int native, HashSet<int> callOuts)
    {
        RegisterUseCounter counter = _counter;
        counter.Reset();
        for (int i = 0; i < native; i++)
        {
            GuestInstruction insn = instructions[i];
            counter.BeginInstruction();
            if (insn.Valid && !_isa.JitFrontend.Emit(counter, insn.Word, insn.Pc) && CanCallOut(insn))
            {
                callOuts.Add(i); // no lowering: known now, so no failed attempt is needed to learn it
            }
            else if (CanCallOut(insn) && _failedWords.Contains(insn.Word))
            {
                callOuts.Add(i);
            }
        }

        return counter;
    }

    /// <summary>
    /// Splits the block at the boundaries whose branch the block may go on past: a conditional branch
    /// to a constant whose delay slot (if any) may go before it as EmissionOrder puts a block's last
    /// one there (a slot that may leave restarts at its branch), so the taken path leaves with the slot
    /// done. At the first boundary whose branch may not, the block ends (with its dry run again).
    /// </summary>
    private RegisterUseCounter PlanSegments(List<GuestInstruction> instructions, ref int native, HashSet<int> callOuts, RegisterUseCounter counter)
    {
        _segments.Clear();
        _captures.Clear();
        int start = 0;
        foreach (int end in _boundaries)
        {
            if (end >= native)
            {
                break;
            }

            int branch = end - (_isa.DelaySlot ? 2 : 1);
            int captureStart = _captures.Count;
            if (!CanGoOnPast(instructions, branch, callOuts, counter))
            {
                _captures.RemoveRange(captureStart, _captures.Count - captureStart);
                native = EndBefore(instructions, end);
                counter = DryRun(instructions, native, callOuts);
                break;
            }

            _segments.Add(new Segment(start, end, branch, captureStart, _captures.Count - captureStart, _isa.DelaySlot && counter.Instructions[branch + 1].MayLeave));
            start = end;
        }

        // The last segment: its branch and captures come from EmissionOrder.
        _segments.Add(new Segment(start, native, -1, _captures.Count, 0));
        return counter;
    }

    private bool CanGoOnPast(List<GuestInstruction> instructions, int b, HashSet<int> callOuts, RegisterUseCounter counter)
    {
        GuestInstruction jump = instructions[b];
        RegisterUseCounter.InstructionEffects bx = counter.Instructions[b];
        if (!jump.Valid || callOuts.Contains(b) || !bx.ConditionalJump || bx.OtherJump || bx.MayLeave || bx.Nullifies)
        {
            return false;
        }

        if (!_isa.DelaySlot)
        {
            return true;
        }

        // As for a block's last branch (EmissionOrder): a slot that may leave must restart exactly at its branch.
        GuestInstruction slot = instructions[b + 1];
        RegisterUseCounter.InstructionEffects dx = counter.Instructions[b + 1];
        bool restartable = !dx.LeavesAfterChange && !Overlap(dx.Writes, dx.Reads);
        return slot.Valid && (slot.Flags & InstructionFlags.Jump) == 0 && !callOuts.Contains(b + 1) && (!dx.MayLeave || restartable)
            && Captures(dx.Writes, bx.Reads, slot.Word) && !Overlap(dx.Writes, bx.Writes) && !Overlap(bx.Writes, dx.Reads);
    }

    /// <param name="direct">Try a direct conditional exit at the block's end (null if the branch turned out not to allow it).</param>
    private TranslatedBlock? Emit(ulong pc, List<GuestInstruction> instructions, ref int native, HashSet<int> callOuts, bool direct)
    {
        RegisterUseCounter counter = PlanSegments(instructions, ref native, callOuts, DryRun(instructions, native, callOuts));
        Assembler a = _assembler;
        a.Reset();
        AssemblerRegister64 budget = X64Emitter.BudgetRegister(_options.Addressing);
        bool complete = native == instructions.Count;
        Span<int> order = EmissionOrder(instructions, native, callOuts, counter, out int branch);
        List<Segment> segments = _segments;
        int segment = 0, lastSegment = segments.Count - 1;
        X64Emitter e = _emitter;
        e.Reset(pc);
        e.BeginSegment(lastSegment > 0 ? segments[0].Branch : direct ? branch : -1, last: lastSegment == 0);

        _sideExits.Clear();
        counter.Busiest(X64Emitter.HomeCount(_options.Addressing), pc, _busiest, LoopEnd(pc, counter));
        e.AllocateHomes(Resident, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_busiest));
        int pcOffset = _isa.StateLayout.PcOffset, nextPcOffset = _isa.StateLayout.NextPcOffset;
        e.SkipDelaySlot = a.CreateLabel();
        TranslatedBlock result = _result;
        result.Reset(native);
        Span<Label> starts = result.InstructionStarts;
        bool anyJump = false;

        // The prologue comes first and falls into the body: charge the budget, load the guest
        // registers the block keeps in host registers (the exhausted path is out of line).
        // A superblock is charged whole; a branch taken inside it gives back what it skips.
        Label entry = a.CreateLabel(), exhausted = a.CreateLabel();
        e.Bind(ref entry);
        a.sub(budget, native);
        a.jl(exhausted);
        CountRun(a);
        X64Emitter.LoadHomes(a, e.Homes, resident: false);
        for (int p = 0; p < native; p++)
        {
            if (p == segments[segment].End)
            {
                // The branch that closed the segment was not taken: on into the next one.
                if (!CloseSegment(segments[segment], pc, starts[order[0]]))
                {
                    return null;
                }

                segment++;
                e.BeginSegment(segment == lastSegment ? (direct ? branch : -1) : segments[segment].Branch, last: segment == lastSegment);
                anyJump = false;
            }

            int i = order[p];
            GuestInstruction insn = instructions[i];
            Segment current = segments[segment];
            starts[i] = a.CreateLabel();
            e.Bind(ref starts[i]);
            bool restarts = current.SlotRestarts && i == current.Branch + 1;
            e.BeginInstruction(insn.Pc, i, insn.InDelaySlot, restarts ? (instructions[current.Branch].Pc, current.Branch) : null);
            if ((insn.Flags & InstructionFlags.Jump) != 0 && segment == lastSegment)
            {
                // The successor unless a conditional jump jumps: after the delay slot, or the next one.
                anyJump = true;
                if ((insn.Flags & InstructionFlags.Branch) != 0)
                {
                    ulong fallthrough = insn.Pc + (ulong)(_insnBytes * (_isa.DelaySlot ? 2 : 1));
                    if (i != e.DirectJumpIndex)
                    {
                        a.mov(__dword_ptr[rbx + nextPcOffset], (uint)fallthrough);
                    }

                    e.ConstantTargets.Add(fallthrough & 0xFFFFFFFF);
                }
            }

            if (callOuts.Contains(i))
            {
                // One call runs the whole run of consecutive instructions without a lowering.
                if (!callOuts.Contains(i - 1))
                {
                    int count = 1;
                    while (i + count < native && callOuts.Contains(i + count))
                    {
                        count++;
                    }

                    CallInterpreter(a, e, insn, count);
                }

                e.EndInstruction();
                continue;
            }

            try
            {
                if (current.CaptureCount > 0 && i == current.Branch + 1)
                {
                    // The slot emitted before its branch: the branch's inputs it overwrites are copied first.
                    e.CaptureForNext(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_captures).Slice(current.CaptureStart, current.CaptureCount));
                }

                // A jump in a delay slot (unpredictable on MIPS) chains two pending targets: the interpreter's business.
                bool jumpInDelaySlot = insn.InDelaySlot && (insn.Flags & InstructionFlags.Jump) != 0;
                if (!insn.Valid || jumpInDelaySlot || !_isa.JitFrontend.Emit(e, insn.Word, insn.Pc))
                {
                    throw new JitUnsupportedException("no JIT lowering");
                }

                e.EndInstruction();
            }
            catch (JitUnsupportedException ex)
            {
                ex.Data["index"] = i;
                throw;
            }
        }

        // A computed jump held in a register is the block's only way out: no constant target may remain.
        if (e.DirectFailed || (e.IndirectRegister is not null && e.ConstantTargets.Count != 0))
        {
            return null;
        }

        GuestInstruction last = instructions[native - 1];
        // A likely branch's delay slot left to the interpreter: the skipping path has its own exit below.
        bool slotInterpreted = !complete && instructions[native].InDelaySlot;
        if (e.Nullifies && !slotInterpreted)
        {
            Label skip = e.SkipDelaySlot;
            e.Bind(ref skip);
        }

        // A loop back to this block's start keeps the guest registers in host registers.
        Label loop = a.CreateLabel();
        bool loops = complete && e.DirectTarget is null && !e.IndirectTarget && (e.UnconditionalTarget == pc || (e.UnconditionalTarget is null && anyJump && e.ConstantTargets.Contains(pc)));
        if (loops)
        {
            if (e.UnconditionalTarget == pc && !e.Nullifies)
            {
                a.jmp(loop);
            }
            else
            {
                a.cmp(__dword_ptr[rbx + nextPcOffset], (int)(uint)pc);
                a.je(loop);
            }
        }

        Label first = starts[order[0]];
        bool loopsInPlace = !e.DirectNotTaken.IsEmpty;
        if (loopsInPlace)
        {
            // The last branch loops to the start: taken falls into the loop, not taken jumps past it.
            Label takenExit = e.DirectTaken, notTaken = e.DirectNotTaken;
            e.Bind(ref takenExit);
            LoopBack(pc, first, native);
            e.Bind(ref notTaken);
        }

        // Exits: the guest registers go home (the branch stored them before a linkable jcc), then
        // control leaves by a link, a compare chain or a lookup.
        bool linkedTaken = !e.DirectSite.IsEmpty;
        if (!linkedTaken)
        {
            X64Emitter.StoreHomes(a, e.Homes);
        }

        if (e.DirectTarget is { } taken)
        {
            // Not taken falls through to here; taken jumped from the branch to its own exit (or is in place, above).
            LinkTo(instructions[branch].Pc + (ulong)(_insnBytes * (_isa.DelaySlot ? 2 : 1)));
            if (!loopsInPlace)
            {
                Label takenExit = e.DirectTaken;
                e.Bind(ref takenExit);
                if (taken == pc)
                {
                    LoopBack(pc, first, native);
                }
                else if (linkedTaken)
                {
                    LinkExit(taken, e.DirectSite);
                }
                else
                {
                    X64Emitter.StoreHomes(a, e.Homes);
                    LinkTo(taken);
                }
            }
        }
        else if (!complete)
        {
            GuestInstruction next = instructions[native];
            a.mov(__dword_ptr[rbx + pcOffset], (uint)next.Pc);
            if (!next.InDelaySlot)
            {
                a.mov(__dword_ptr[rbx + nextPcOffset], (uint)(next.Pc + (ulong)_insnBytes));
            }

            a.mov(eax, (int)ExitReason.Interpret);
            a.jmp((ulong)_stubs.Exit);
            if (e.Nullifies && slotInterpreted)
            {
                // Not taken: the slot is skipped, and it was never charged to the budget.
                Label skip = e.SkipDelaySlot;
                e.Bind(ref skip);
                a.sub(budget, 1);
                X64Emitter.StoreHomes(a, e.Homes);
                a.jmp((ulong)_stubs.IndirectJump);
            }
        }
        else if (e.UnconditionalTarget is { } target && !e.IndirectTarget && !e.Nullifies)
        {
            LinkTo(target);
        }
        else if (anyJump)
        {
            // The loop back was taken above; with only constant targets the last one needs no compare.
            List<ulong> targets = _targets;
            targets.Clear();
            foreach (ulong t in e.ConstantTargets)
            {
                if (!(loops && t == pc))
                {
                    targets.Add(t);
                }
            }

            Label site = a.CreateLabel();
            for (int i = 0; i < targets.Count; i++)
            {
                if (i == targets.Count - 1 && !e.IndirectTarget)
                {
                    LinkTo(targets[i], site);
                    break;
                }

                // A miss goes straight to the next link site.
                Label next = a.CreateLabel();
                a.cmp(__dword_ptr[rbx + nextPcOffset], (int)(uint)targets[i]);
                a.jne(next);
                LinkTo(targets[i], site);
                site = next;
                if (i == targets.Count - 1)
                {
                    e.Bind(ref site);
                }
            }

            if (targets.Count == 0 && !e.IndirectTarget)
            {
                // Every constant target was the loop: what is left is the interpreter's (a nullified slot's resume).
                a.jmp((ulong)_stubs.IndirectJump);
            }
            else if (e.IndirectTarget)
            {
                // The target's register, if the jump kept it there (homes are stored, it is unchanged), else NextPc.
                AssemblerRegister32 jumpTarget = eax;
                if (e.IndirectRegister is { } held)
                {
                    jumpTarget = held;
                }
                else
                {
                    a.mov(eax, __dword_ptr[rbx + nextPcOffset]);
                }

                Label miss = a.CreateLabel();
                if (_stubs.Jumps.EmitJump(a, jumpTarget, pcOffset, miss))
                {
                    e.Bind(ref miss);
                    a.jmp((ulong)_stubs.LookupMiss);
                }
            }
        }
        else
        {
            LinkTo(last.Pc + (ulong)_insnBytes);
        }

        foreach (X64Emitter.TrapStub stub in e.Traps)
        {
            Label l = stub.Label;
            e.Bind(ref l);
            X64Emitter.StoreHomes(a, e.Homes);
            a.add(budget, native - stub.Index);
            if (stub.AfterCallOut)
            {
                // The interpreter left the PC pair at the instruction that stopped it, after running some.
                a.mov(rax, __qword_ptr[rbx + JitContext.CallOutRetired]);
                a.sub(budget, rax);
            }
            else
            {
                a.mov(__dword_ptr[rbx + pcOffset], (uint)stub.Pc);
                if (!stub.InDelaySlot)
                {
                    a.mov(__dword_ptr[rbx + nextPcOffset], (uint)(stub.Pc + (ulong)_insnBytes));
                }
            }

            a.mov(eax, (int)ExitReason.Trap + (int)stub.Kind);
            a.jmp((ulong)_stubs.Exit);
        }

        if (loops)
        {
            e.Bind(ref loop);
            LoopBack(pc, first, native);
        }

        // Branches taken inside a superblock (but those looping to its start): out of line, so the path
        // going on pays nothing for them. The skipped instructions' budget comes back and the homes go home, then a link.
        foreach ((Label sideTaken, ulong target, int retired) in _sideExits)
        {
            Label l = sideTaken;
            e.Bind(ref l);
            a.add(budget, native - retired);
            X64Emitter.StoreHomes(a, e.Homes);
            LinkTo(target);
        }

        // Out of line: the budget ran out at the entry.
        e.Bind(ref exhausted);
        a.add(budget, native);
        a.mov(__dword_ptr[rbx + pcOffset], (uint)pc);
        a.mov(eax, (int)ExitReason.Budget);
        a.jmp((ulong)_stubs.Exit);

        GuestInstruction lastNative = instructions[native - 1];
        result.Entry = entry;
        foreach (X64Emitter.Home h in e.Homes)
        {
            result.Homes.Add(h);
        }

        result.EndPc = lastNative.Pc + (ulong)_insnBytes;

        // The last segment's slot (a fault there leaves the branch's NextPc as it is, unless it restarts).
        for (int i = segments[lastSegment].Start; i < native; i++)
        {
            if (instructions[i].InDelaySlot)
            {
                result.DelaySlot = i;
                break;
            }
        }

        foreach (Segment s in segments)
        {
            if (s.SlotRestarts)
            {
                result.RestartingSlots.Add(s.Branch + 1);
            }
        }

        return result;
    }

    /// <summary>Where the last segment whose branch loops to the block's start ends (0: none does, or only the block's own end).</summary>
    private int LoopEnd(ulong pc, RegisterUseCounter counter)
    {
        int end = 0;
        for (int k = 0; k < _segments.Count - 1; k++)
        {
            RegisterUseCounter.InstructionEffects branch = counter.Instructions[_segments[k].Branch];
            end = branch.ConditionalJump && branch.Target == pc ? _segments[k].End : end;
        }

        return end;
    }

    /// <summary>
    /// Whether the branch closing <paramref name="s"/> came out a plain conditional jump, and its
    /// taken exit; else the block is translated again, ending after it (<see cref="_endAfter"/>).
    /// A branch the emitter found never taken (its condition known false) leaves no exit; one that
    /// loops to the block's start gets its loop in place (the path going on jumps past it).
    /// </summary>
    private bool CloseSegment(Segment s, ulong pc, Label first)
    {
        X64Emitter e = _emitter;
        if (e.DirectFailed || e.UnconditionalTarget is not null || e.IndirectTarget || e.Nullifies || e.ConstantTargets.Count != 0)
        {
            _endAfter = s.End;
            return false;
        }

        if (!e.DirectNotTaken.IsEmpty)
        {
            // A loop to the start: taken falls into its budget check, going on jumps past it.
            Label taken = e.DirectTaken, notTaken = e.DirectNotTaken;
            e.Bind(ref taken);
            LoopBack(pc, first, s.End);
            e.Bind(ref notTaken);
        }
        else if (e.DirectTarget is { } target)
        {
            _sideExits.Add((e.DirectTaken, target, s.End));
        }

        return true;
    }

    /// <summary>
    /// A loop back to the block's start keeps the guest registers in host registers while the budget
    /// lasts. The block was charged whole and <paramref name="retired"/> of it ran (less at a branch
    /// taken inside a superblock): charging the next run whole takes just those from the budget.
    /// </summary>
    private void LoopBack(ulong pc, Label first, int retired)
    {
        Assembler a = _assembler;
        AssemblerRegister64 budget = X64Emitter.BudgetRegister(_options.Addressing);
        int native = _result.Length;
        CountRun(a);
        a.sub(budget, retired);
        a.jge(first);
        a.add(budget, native);
        X64Emitter.StoreHomes(a, _emitter.Homes);
        a.mov(__dword_ptr[rbx + _isa.StateLayout.PcOffset], (uint)pc);
        a.mov(eax, (int)ExitReason.Budget);
        a.jmp((ulong)_stubs.Exit);
    }

    /// <summary>One more run of the block, where a profile counts them (RAX is free at a block's start).</summary>
    private void CountRun(Assembler a)
    {
        if (_runCounter != 0)
        {
            a.mov(rax, (long)_runCounter);
            a.inc(__qword_ptr[rax]);
        }
    }

    /// <summary>A jump to the block at <paramref name="target"/>, patched once it is translated; until then an exit that asks for the link.</summary>
    private void LinkTo(ulong target, Label site = default)
    {
        Assembler a = _assembler;
        if (site.IsEmpty)
        {
            site = a.CreateLabel();
        }

        _emitter.Bind(ref site);
        a.db(0xE9, 0, 0, 0, 0); // jmp rel32 = 0: into the stub just below until linked
        LinkExit(target, site);
    }

    /// <summary>The exit that asks the engine to link the jump at <paramref name="site"/> to the block at <paramref name="target"/>.</summary>
    private void LinkExit(ulong target, Label site)
    {
        Assembler a = _assembler;
        a.mov(__dword_ptr[rbx + _isa.StateLayout.PcOffset], (uint)target);
        a.lea(rax, __[site]);
        a.mov(__qword_ptr[rbx + JitContext.ExitSite], rax);
        a.mov(eax, (int)ExitReason.Link);
        a.jmp((ulong)_stubs.Exit);
        _result.Links.Add((site, target));
    }

    /// <summary>
    /// The order the block's instructions are emitted in, and the index of its closing jump when nothing
    /// after it reads NextPc (else -1): a conditional branch emitted last jumps straight to a link site,
    /// a constant jump outside any condition stores no NextPc, and a computed jump emitted last keeps
    /// its target in a register for the lookup (<see cref="X64Emitter.IndirectRegister"/>). A delay slot goes before its branch
    /// when the branch cannot leave the block, neither writes what the other writes and the slot reads
    /// nothing the branch writes; the branch's inputs the slot writes are captured before the slot
    /// (<see cref="_captures"/>, <see cref="X64Emitter.CaptureForNext"/>), so the branch still reads
    /// them as they were. A slot that may leave (a memory access, a trap) must also restart exactly:
    /// it changes no guest state before it may leave (so the captured registers are still as the
    /// branch read them) and writes no register it reads, so its exits resume at the branch
    /// (<see cref="Segment.SlotRestarts"/>) and the interpreter runs the branch and the slot again.
    /// Otherwise an unconditional constant jump's slot that cannot leave stays after it, still without
    /// NextPc; a computed jump whose slot stays after it goes through NextPc.
    /// </summary>
    private Span<int> EmissionOrder(List<GuestInstruction> instructions, int native, HashSet<int> callOuts, RegisterUseCounter counter, out int branch)
    {
        if (_order.Length < native)
        {
            _order = new int[Math.Max(native, _order.Length * 2)];
        }

        Span<int> order = _order.AsSpan(0, native);
        for (int i = 0; i < native; i++)
        {
            order[i] = i;
        }

        // The slots of the branches inside a superblock go first (PlanSegments checked they may).
        int lastSegment = _segments.Count - 1;
        for (int k = 0; k < lastSegment && _isa.DelaySlot; k++)
        {
            int mid = _segments[k].Branch;
            (order[mid], order[mid + 1]) = (order[mid + 1], order[mid]);
        }

        branch = -1;
        bool complete = native == instructions.Count;
        GuestInstruction last = instructions[native - 1];
        if (!complete || callOuts.Contains(native - 1) || !last.Valid)
        {
            return order;
        }

        if (!_isa.DelaySlot)
        {
            branch = (last.Flags & InstructionFlags.Jump) != 0 ? native - 1 : -1;
            _segments[lastSegment] = _segments[lastSegment] with { Branch = branch };
            return order;
        }

        if (native - _segments[lastSegment].Start < 2 || !last.InDelaySlot || (last.Flags & InstructionFlags.Jump) != 0)
        {
            return order;
        }

        int b = native - 2;
        GuestInstruction jump = instructions[b];
        RegisterUseCounter.InstructionEffects bx = counter.Instructions[b], dx = counter.Instructions[native - 1];
        if ((jump.Flags & InstructionFlags.Jump) == 0 || !jump.Valid || callOuts.Contains(b) || bx.MayLeave || bx.Nullifies)
        {
            return order;
        }

        // The branch's inputs that the slot writes are captured before the slot (it leaves before it
        // changes anything if it may leave, so a restart at the branch still reads the old values).
        int captureStart = _captures.Count;
        bool capturable = Captures(dx.Writes, bx.Reads, instructions[native - 1].Word);
        bool independent = capturable && !Overlap(dx.Writes, bx.Writes) && !Overlap(bx.Writes, dx.Reads);
        bool restartable = !dx.LeavesAfterChange && !Overlap(dx.Writes, dx.Reads);
        if (independent && (!dx.MayLeave || restartable))
        {
            (order[b], order[native - 1]) = (order[native - 1], order[b]);
            branch = b;
            _segments[lastSegment] = _segments[lastSegment] with { Branch = b, CaptureCount = _captures.Count - captureStart, SlotRestarts = dx.MayLeave };
            return order;
        }

        _captures.RemoveRange(captureStart, _captures.Count - captureStart);
        if ((jump.Flags & (InstructionFlags.Branch | InstructionFlags.Indirect)) == 0 && !dx.MayLeave)
        {
            branch = b;
        }

        return order;
    }

    /// <summary>
    /// Runs one instruction on the interpreter from inside the block: the guest registers go to the
    /// state and come back, and a trap leaves the block for the dispatcher, which runs it again to
    /// report it exactly.
    /// </summary>
    private void CallInterpreter(Assembler a, X64Emitter e, GuestInstruction insn, int count)
    {
        // Every home, not only those written so far: a loop back to the block's start carries values
        // written later in the block into this point.
        X64Emitter.StoreHomes(a, e.Homes, all: true);
        a.mov(__dword_ptr[rbx + _isa.StateLayout.PcOffset], (uint)insn.Pc);
        a.mov(__dword_ptr[rbx + _isa.StateLayout.NextPcOffset], (uint)(insn.Pc + (ulong)_insnBytes));
        bool windows = OperatingSystem.IsWindows();
        a.mov(windows ? rcx : rdi, __qword_ptr[rbx + JitContext.CallOutHandle]);
        a.mov(windows ? rdx : rsi, (long)count);
        a.call(__qword_ptr[rbx + JitContext.CallOutFunction]);

        // The homes come back before the trap test: the trap path writes them back too.
        X64Emitter.LoadHomes(a, e.Homes, resident: true);

        a.test(eax, eax);
        a.jne(e.NewTrapStub(TrapKind.None, afterCallOut: true));
        e.ForgetKnownValues();
    }

    /// <summary>
    /// The branch's inputs <paramref name="reads"/> that its slot <paramref name="writes"/>, appended
    /// to <see cref="_captures"/>; false if the emitter cannot hold them all.
    /// </summary>
    private bool Captures(HashSet<int> writes, HashSet<int> reads, ulong slotWord)
    {
        int count = 0;
        foreach (int offset in writes)
        {
            if (!reads.Contains(offset))
            {
                continue;
            }

            if (count == X64Emitter.MaxCaptures || !_emitter.CanCapture(offset) || _noCaptureWords.Contains(slotWord))
            {
                return false;
            }

            _captures.Add(offset);
            count++;
        }

        return true;
    }

    // HashSet.Overlaps enumerates its argument through IEnumerable: a boxed enumerator per call.
    private static bool Overlap(HashSet<int> a, HashSet<int> b)
    {
        foreach (int x in a)
        {
            if (b.Contains(x))
            {
                return true;
            }
        }

        return false;
    }

    private static bool CanCallOut(GuestInstruction insn) => insn.Valid && (insn.Flags & InstructionFlags.Jump) == 0 && !insn.InDelaySlot;

    private readonly record struct GuestInstruction(ulong Pc, ulong Word, InstructionFlags Flags, bool InDelaySlot, bool Valid);

    /// <summary>
    /// Instructions [<paramref name="Start"/>, <paramref name="End"/>) of a block, closed by the
    /// branch at <paramref name="Branch"/> (-1: none, or the last segment's computed jump) whose
    /// inputs its slot overwrites are the run of <see cref="_captures"/> given; a slot emitted before
    /// its branch that may leave restarts at the branch (<paramref name="SlotRestarts"/>).
    /// </summary>
    private readonly record struct Segment(int Start, int End, int Branch, int CaptureStart, int CaptureCount, bool SlotRestarts = false);
}

/// <summary>
/// A block's code before it is placed: the assembler and the labels the engine needs addresses of.
/// One per translator, filled again by each translation.
/// </summary>
internal sealed class TranslatedBlock(Assembler assembler)
{
    private Label[] _starts = new Label[16];

    public Assembler Assembler { get; } = assembler;

    public Label Entry { get; set; }

    /// <summary>Where each guest instruction's code begins, in guest order.</summary>
    public Span<Label> InstructionStarts => _starts.AsSpan(0, Length);

    public List<(Label Site, ulong Target)> Links { get; } = [];

    public List<X64Emitter.Home> Homes { get; } = [];


    /// <summary>Guest instructions translated natively.</summary>
    public int Length { get; private set; }

    public ulong EndPc { get; set; }

    /// <summary>The index of the instruction in a delay slot, or -1.</summary>
    public int DelaySlot { get; set; }

    /// <summary>The delay slot is emitted before its branch and its exits resume at the branch.</summary>
    public List<int> RestartingSlots { get; } = [];

    /// <summary>Empties it for a block of <paramref name="length"/> instructions.</summary>
    public void Reset(int length)
    {
        if (_starts.Length < length)
        {
            _starts = new Label[Math.Max(length, _starts.Length * 2)];
        }

        Length = length;
        InstructionStarts.Clear();
        Entry = default;
        Links.Clear();
        Homes.Clear();
        EndPc = 0;
        DelaySlot = -1;
        RestartingSlots.Clear();
    }
}
