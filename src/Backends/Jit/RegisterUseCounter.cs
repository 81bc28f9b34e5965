using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;

namespace Isa.Backends.Jit;

/// <summary>
/// A dry run of a block through the generated frontend that only counts how often each guest
/// register is read or written, so the emitter gives host registers to the busiest ones; per
/// instruction it also notes what it reads and writes and whether it may leave the block midway,
/// so the translator can tell when a branch and its delay slot may swap, and whether a slot that
/// may leave can restart at its branch (it changes nothing before it may leave).
/// </summary>
internal sealed class RegisterUseCounter(GuestIsa isa) : IJitEmitter
{
    private readonly StateLayout _layout = isa.StateLayout;
    private int _labels;

    // The open Ifs of the instruction, innermost last: whether each one's condition is known (a
    // hardwired zero folds as in the emitter), so a jump is told conditional from unconditional.
    private readonly Stack<bool> _staticIfs = new();
    private int _dynamicIfs;

    public Dictionary<int, int> Uses { get; } = [];

    /// <summary>Per instruction (in the order of <see cref="BeginInstruction"/>): what it touches.</summary>
    public List<InstructionEffects> Instructions { get; } = [];

    private InstructionEffects? _current;

    // One counter serves every block of a translator: the effects (and their sets) are reused, so a dry run allocates nothing.
    private readonly List<InstructionEffects> _pool = [];

    /// <summary>Forgets the previous block.</summary>
    public void Reset()
    {
        Uses.Clear();
        Instructions.Clear();
        JumpTargets.Clear();
        _current = null;
        _labels = 0;
    }

    public void BeginInstruction()
    {
        if (Instructions.Count == _pool.Count)
        {
            _pool.Add(new InstructionEffects());
        }

        _current = _pool[Instructions.Count];
        _current.Clear();
        Instructions.Add(_current);
        _staticIfs.Clear();
        _dynamicIfs = 0;
    }

    public bool BigEndian { get; } = isa.Endianness == Endianness.Big;

    /// <summary>
    /// The state offsets of the registers worth a host register, busiest first: used at least twice, or
    /// once in a block that may loop to <paramref name="start"/> (its prologue and exits are outside the loop).
    /// </summary>
    /// <remarks>Into <paramref name="busiest"/> (cleared first): a few picks from a few dozen registers, by selection, allocate nothing.</remarks>
    /// <param name="loopEnd">
    /// Where a superblock's first instructions loop to its start from a branch inside it (0: they do
    /// not): the registers the loop uses come first, as they run many times for each run of the rest.
    /// </param>
    public void Busiest(int count, ulong start, List<int> busiest, int loopEnd = 0)
    {
        busiest.Clear();
        int least = JumpTargets.Contains(start) ? 1 : 2;
        while (busiest.Count < count)
        {
            // The most used register not picked yet; on a tie, the lowest offset.
            int best = -1, bestUses = 0;
            foreach ((int offset, int uses) in Uses)
            {
                int score = uses + (LoopUses(offset, loopEnd) * 64);
                if (uses >= least && (score > bestUses || (score == bestUses && offset < best)) && !busiest.Contains(offset))
                {
                    best = offset;
                    bestUses = score;
                }
            }

            if (best < 0)
            {
                break;
            }

            busiest.Add(best);
        }
    }

    /// <summary>How many of the first <paramref name="end"/> instructions read or write the register at <paramref name="offset"/>.</summary>
    private int LoopUses(int offset, int end)
    {
        int uses = 0;
        for (int i = 0; i < end; i++)
        {
            uses += Instructions[i].Reads.Contains(offset) || Instructions[i].Writes.Contains(offset) ? 1 : 0;
        }

        return uses;
    }

    /// <summary>The constant targets of the block's jumps.</summary>
    public HashSet<ulong> JumpTargets { get; } = [];

    public JitValue Constant(ulong value, JitType type) => new(JitValueKind.Constant, 0, type.Canonical(value), type);

    public JitValue ReadRegister(int file, JitValue index)
    {
        Count(file, index, write: false);
        JitType type = new(isa.Registers[file].Bits, false);
        return index.IsConstant && isa.Registers[file].HardwiredZero.Contains((int)index.Constant) ? Constant(0, type) : Opaque(type);
    }

    public void WriteRegister(int file, JitValue index, JitValue value)
    {
        Count(file, index, write: true);
        Changed();
    }

    public JitValue Unary(JitUnary op, JitValue operand, JitType type) => Opaque(type);

    // Constants fold as in the emitter, so a jump's target is known.
    public JitValue Binary(JitBinary op, JitValue left, JitValue right, JitType type)
        => left.IsConstant && right.IsConstant ? Constant(X64.X64Emitter.Fold(op, left.Constant, right.Constant, left.Type), type) : Opaque(type);

    public JitValue Convert(JitValue operand, JitType type) => operand.IsConstant ? Constant(operand.Constant, type) : Opaque(type);

    public JitValue Slice(JitValue operand, int high, int low) => Opaque(new JitType(high - low + 1, false));

    public JitValue Select(JitValue condition, JitValue whenTrue, JitValue whenFalse) => Opaque(whenTrue.Type);

    public JitValue Intrinsic(JitIntrinsic op, JitValue operand, JitValue amount, JitType type) => MayLeave(Opaque(type));

    public JitValue Load(int bytes, JitValue address) => MayLeave(Opaque(new JitType(bytes * 8, false)));

    // A store may fault before it writes (x64 stores are all or nothing), and it changes guest state.
    public void Store(int bytes, JitValue address, JitValue value)
    {
        MayLeave();
        Changed();
    }

    public JitValue CompareAndSwap(int bytes, JitValue address, JitValue expected, JitValue value)
    {
        MayLeave();
        Changed();
        return Opaque(JitType.Bool);
    }

    public void Jump(JitValue target)
    {
        if (target.IsConstant)
        {
            JumpTargets.Add(target.Constant);
        }

        if (_current is not null)
        {
            if (_dynamicIfs > 0 && target.IsConstant)
            {
                _current.ConditionalJump = true;
                _current.Target = target.Constant;
            }
            else
            {
                _current.OtherJump = true;
            }
        }
    }

    public void NullifyDelaySlot()
    {
        if (_current is not null)
        {
            _current.Nullifies = true;
        }
    }

    public void Raise(TrapKind kind, JitValue value) => MayLeave();

    public void RaiseIf(JitValue condition, TrapKind kind, JitValue value) => MayLeave();

    // Floating-point operations may leave through their interpret exits.
    public JitValue FloatArithmetic(JitFloatOp op, JitFloatFormat format, JitValue left, JitValue right, JitValue roundingMode) => MayLeave(Opaque(FloatType(format)));

    public JitValue FloatCompare(JitFloatCompare op, JitFloatFormat format, JitValue left, JitValue right) => MayLeave(Opaque(JitType.Bool));

    public JitValue FloatToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode) => MayLeave(Opaque(FloatType(to)));

    public JitValue IntegerToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode) => MayLeave(Opaque(FloatType(to)));

    public JitValue FloatToInteger(JitValue operand, JitFloatFormat from, JitType type, JitValue roundingMode) => MayLeave(Opaque(type));

    public void ClearFloatFlags() => MayLeave();

    public JitValue FloatFlags() => MayLeave(Opaque(JitType.U32));

    public void RaiseFloatFlags(JitValue flags) => MayLeave();

    public JitValue Let(JitValue value) => value;

    public JitScope BeginScope() => default;

    public JitValue EndScope(JitScope scope, JitValue result) => result;

    public JitVariable NewVariable(JitType type) => new(0, type);

    public void Assign(JitVariable variable, JitValue value)
    {
    }

    public JitValue Read(JitVariable variable) => Opaque(variable.Type);

    public void If(JitValue condition)
    {
        bool known = condition.IsConstant;
        _staticIfs.Push(known);
        _dynamicIfs += known ? 0 : 1;
    }

    public void Else()
    {
    }

    public void EndIf()
    {
        if (_staticIfs.TryPop(out bool known) && !known)
        {
            _dynamicIfs--;
        }
    }

    public JitLabel NewLabel() => new(_labels++);

    public void Goto(JitLabel label)
    {
    }

    public void Bind(JitLabel label)
    {
    }

    /// <summary>The optional CPU features templates may use: as the emitter will see them, so both take the same path.</summary>
    public HostFeatures HostFeatures { get; init; }

    /// <summary>False: every instruction takes its generic lowering.</summary>
    public bool UseTemplates { get; init; } = true;

    public bool Supports(HostTemplate template) => UseTemplates && template.Host == HostIsa.X64 && (template.Features & ~HostFeatures) == 0;

    public void Template(HostTemplate template, ReadOnlySpan<JitValue> inputs, ReadOnlySpan<JitRegister> outputs)
    {
        MayLeave();
        foreach (JitRegister r in outputs)
        {
            Count(r.File, Constant((ulong)r.Index, JitType.U32), write: true);
        }

        Changed();
    }

    private static JitType FloatType(JitFloatFormat format) => format == JitFloatFormat.Double ? JitType.U64 : JitType.U32;

    private static JitValue Opaque(JitType type) => new(JitValueKind.Dead, 0, 0, type);

    private void MayLeave()
    {
        if (_current is not null)
        {
            _current.MayLeave = true;
            _current.LeavesAfterChange |= _current.Changed;
        }
    }

    private void Changed()
    {
        if (_current is not null)
        {
            _current.Changed = true;
        }
    }

    private JitValue MayLeave(JitValue v)
    {
        MayLeave();
        return v;
    }

    private void Count(int file, JitValue index, bool write)
    {
        if (!index.IsConstant)
        {
            MayLeave(); // a register the dry run cannot name: assume anything (the emitter refuses it anyway)
            return;
        }

        if (index.Constant < (ulong)isa.Registers[file].Count && !isa.Registers[file].HardwiredZero.Contains((int)index.Constant))
        {
            int offset = _layout.RegisterOffset(file, (int)index.Constant);
            Uses[offset] = Uses.GetValueOrDefault(offset) + 1;
            (write ? _current?.Writes : _current?.Reads)?.Add(offset);
        }
    }

    /// <summary>What one instruction does beyond plain register arithmetic.</summary>
    public sealed class InstructionEffects
    {
        /// <summary>Guest registers (state offsets) it reads and writes.</summary>
        public HashSet<int> Reads { get; } = [];

        public HashSet<int> Writes { get; } = [];

        /// <summary>True if it may leave the block midway: a memory access (fault), a trap, a floating-point or other exit.</summary>
        public bool MayLeave { get; set; }

        /// <summary>True if it may leave after it changed guest state (a register or memory write on some path before).</summary>
        public bool LeavesAfterChange { get; set; }

        /// <summary>True once it wrote a guest register or memory (so far in the dry run).</summary>
        public bool Changed { get; set; }

        public bool Nullifies { get; set; }

        /// <summary>A jump to a constant target under a condition the dry run cannot fold: a conditional branch.</summary>
        public bool ConditionalJump { get; set; }

        /// <summary>A jump outside any such condition, or to a computed target.</summary>
        public bool OtherJump { get; set; }

        /// <summary>The conditional jump's target.</summary>
        public ulong Target { get; set; }

        public void Clear()
        {
            Reads.Clear();
            Writes.Clear();
            MayLeave = false;
            LeavesAfterChange = false;
            Changed = false;
            Nullifies = false;
            ConditionalJump = false;
            OtherJump = false;
            Target = 0;
        }
    }
}
