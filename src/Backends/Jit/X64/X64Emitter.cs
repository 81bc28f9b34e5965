using Iced.Intel;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit.X64;

/// <summary>
/// Emits x64 for one block through Iced, one guest instruction at a time, as the generated frontend
/// calls it. Values are kept in canonical form (a 64-bit register holding the value zero- or
/// sign-extended by its type). Guest registers get a host register for the whole block on first use
/// (loaded by the block's prologue, stored back at every exit), so control flow inside an instruction
/// never has to reconcile allocations. Constants fold, including guest registers whose value the
/// block knows; a comparison feeding an <c>If</c> or a <c>Select</c> stays in the flags.
/// </summary>
internal sealed partial class X64Emitter : IJitEmitter
{
    // RBX holds the state pointer; RAX, RCX and RDX are scratch inside one operation.
    private static readonly int[] TempRegisters = [8, 9, 10, 11];
    private static readonly int[] CacheRegistersGs = [5, 6, 7, 12, 13, 14, 15];
    private static readonly int[] CacheRegistersBase = [5, 6, 7, 12, 13, 14];
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, R15 = 15;

    private readonly Assembler _a;
    private readonly StateLayout _layout;
    private readonly IReadOnlyList<RegisterFileInfo> _files;
    private readonly MemoryAddressing _addressing;
    private readonly bool _movbe;
    private readonly int[] _cacheCandidates;

    // Block-wide: guest registers' homes and what the block knows of them.
    private readonly Dictionary<int, Home> _homes = [];
    private readonly Dictionary<int, ulong> _known = [];
    private int _nextCache;

    // Instruction-wide.
    private uint _freeTemps;
    private readonly List<Pin> _pins = [];
    private readonly List<DeferredOp> _deferred = [];
    private readonly List<Label> _labels = [];
    private readonly Stack<IfFrame> _ifs = new();
    private bool _dead;
    private int _dynamicDepth;
    private (int Register, ConditionCode Condition)? _pendingFlags;
    private int _lastLabelInstruction = -1;

    public X64Emitter(Assembler assembler, GuestIsa isa, MemoryAddressing addressing, bool movbe)
    {
        _a = assembler;
        _layout = isa.StateLayout;
        _files = isa.Registers;
        BigEndian = isa.Endianness == Endianness.Big;
        _addressing = addressing;
        _movbe = movbe;
        _cacheCandidates = addressing == MemoryAddressing.GsSegment ? CacheRegistersGs : CacheRegistersBase;
    }

    public bool BigEndian { get; }

    /// <summary>The guest register homes of the block: state offset, host register, element bytes, written.</summary>
    public IEnumerable<Home> Homes => _homes.Values;

    /// <summary>Jump targets the block's instructions produced (constants), and whether any was computed.</summary>
    public HashSet<ulong> ConstantTargets { get; } = [];

    public bool IndirectTarget { get; private set; }

    /// <summary>A constant jump outside any condition: the block's only successor.</summary>
    public ulong? UnconditionalTarget { get; private set; }

    public bool Nullifies { get; private set; }

    /// <summary>Bound by the translator right after the delay slot.</summary>
    public Label SkipDelaySlot { get; set; }

    public List<TrapStub> Traps { get; } = [];

    /// <summary>The instruction being emitted: its PC, index in the block and whether it is a delay slot.</summary>
    public (ulong Pc, int Index, bool InDelaySlot) Current { get; private set; }

    public void BeginInstruction(ulong pc, int index, bool inDelaySlot)
    {
        Current = (pc, index, inDelaySlot);
        _freeTemps = 0;
        foreach (int r in TempRegisters)
        {
            _freeTemps |= 1u << r;
        }

        _pins.Clear();
        _deferred.Clear();
        _labels.Clear();
        _ifs.Clear();
        _dead = false;
        _dynamicDepth = 0;
        _pendingFlags = null;
    }

    public void EndInstruction()
    {
        FlushFlags();
        if (_ifs.Count != 0)
        {
            throw new JitUnsupportedException("unbalanced If/EndIf in generated frontend");
        }
    }

    /// <summary>Seeds a constant the block may assume at entry (a hardwired register).</summary>
    public void Assume(int file, int index, ulong value) => _known[_layout.RegisterOffset(file, index)] = value;

    public void Bind(ref Label label)
    {
        if (_lastLabelInstruction == _a.Instructions.Count)
        {
            _a.nop();
        }

        _a.Label(ref label);
        _lastLabelInstruction = _a.Instructions.Count;
    }

    // ---- values ----

    public JitValue Constant(ulong value, JitType type) => new(JitValueKind.Constant, 0, type.Canonical(value), type);

    private static JitValue Dead(JitType type) => new(JitValueKind.Dead, 0, 0, type);

    private JitValue Temp(int register, JitType type) => new(JitValueKind.Temporary, register, 0, type);

    private int AllocateTemp()
    {
        if (_freeTemps == 0)
        {
            throw new JitUnsupportedException("out of temporary registers");
        }

        int r = System.Numerics.BitOperations.TrailingZeroCount(_freeTemps);
        _freeTemps &= ~(1u << r);
        return r;
    }

    private void Release(JitValue v)
    {
        if (v.Kind == JitValueKind.Deferred)
        {
            DeferredOp d = _deferred[v.Slot];
            if (d.Owned >= 0)
            {
                _freeTemps |= 1u << d.Owned;
                _deferred[v.Slot] = d with { Owned = -1 };
            }

            return;
        }

        if (v.Kind == JitValueKind.Temporary)
        {
            _freeTemps |= 1u << v.Slot;
            if (_pendingFlags?.Register == v.Slot)
            {
                _pendingFlags = null;
            }
        }
    }

    /// <summary>Where a value is now: an immediate, a host register or a state slot.</summary>
    private Location Locate(JitValue v) => v.Kind switch
    {
        JitValueKind.Constant or JitValueKind.Dead => Location.Immediate(v.Constant),
        JitValueKind.Temporary or JitValueKind.GuestRegister or JitValueKind.Variable => Location.InRegister(v.Slot),
        JitValueKind.Memory => Location.InState(v.Slot, (int)(v.Constant & 0xFF), (v.Constant & 0x100) != 0),
        JitValueKind.Pinned => _pins[v.Slot].Location,
        JitValueKind.Deferred => Location.InRegister(Materialize(v.Slot)),
        _ => throw new InvalidOperationException(v.Kind.ToString()),
    };

    /// <summary>A temporary the caller owns holding <paramref name="v"/>; reuses v's register when v is an owned temporary.</summary>
    private int IntoNewTemp(JitValue v)
    {
        if (v.Kind == JitValueKind.Temporary)
        {
            return v.Slot;
        }

        if (v.Kind == JitValueKind.Deferred)
        {
            int m = Materialize(v.Slot);
            if (_deferred[v.Slot].Owned == m)
            {
                _deferred[v.Slot] = _deferred[v.Slot] with { Owned = -1 };
                return m;
            }
        }

        int r = AllocateTemp();
        MoveTo(r, Locate(v));
        return r;
    }

    /// <summary>A register holding the value: its own, or <paramref name="scratch"/> loaded with it.</summary>
    private int InRegister(JitValue v, int scratch)
    {
        Location l = Locate(v);
        if (l.Kind == LocationKind.Register)
        {
            return l.Register;
        }

        MoveTo(scratch, l);
        return scratch;
    }

    /// <summary>Loads a location into a register in canonical form. Never touches the flags.</summary>
    private void MoveTo(int r, Location l)
    {
        switch (l.Kind)
        {
            case LocationKind.Register when l.Register != r:
                _a.mov(R64(r), R64(l.Register));
                break;
            case LocationKind.Immediate when l.Value <= uint.MaxValue:
                _a.mov(R32(r), (uint)l.Value);
                break;
            case LocationKind.Immediate:
                _a.mov(R64(r), l.Value);
                break;
            case LocationKind.State when l.Bytes == 8:
                _a.mov(R64(r), __qword_ptr[rbx + l.Offset]);
                break;
            case LocationKind.State when l.Signed:
                _a.movsxd(R64(r), __dword_ptr[rbx + l.Offset]);
                break;
            case LocationKind.State:
                _a.mov(R32(r), __dword_ptr[rbx + l.Offset]);
                break;
        }
    }

    public JitValue Let(JitValue value)
    {
        FlushFlags();
        if (_dead || value.Kind is JitValueKind.Constant or JitValueKind.Pinned or JitValueKind.Dead)
        {
            return value;
        }

        Location location;
        if (value.Kind == JitValueKind.Variable)
        {
            // A variable may be assigned again while the let lives: copy it.
            int copy = AllocateTemp();
            _a.mov(R64(copy), R64(value.Slot));
            location = Location.InRegister(copy);
        }
        else
        {
            location = Locate(value);
            if (value.Kind == JitValueKind.Deferred)
            {
                _deferred[value.Slot] = _deferred[value.Slot] with { Owned = -1 };
            }
        }

        int source = value.Kind == JitValueKind.GuestRegister ? value.Slot : -1;
        int stateOffset = value.Kind == JitValueKind.Memory ? value.Slot : -1;
        _pins.Add(new Pin(location, source, stateOffset));
        return new JitValue(JitValueKind.Pinned, _pins.Count - 1, 0, value.Type);
    }

    public JitVariable NewVariable(JitType type)
    {
        FlushFlags();
        int r = AllocateTemp();
        return new JitVariable(r, type);
    }

    public void Assign(JitVariable variable, JitValue value)
    {
        FlushFlags();
        if (!_dead)
        {
            MoveTo(variable.Slot, Locate(value));
        }

        Release(value);
    }

    public JitValue Read(JitVariable variable) => _dead ? Dead(variable.Type) : new(JitValueKind.Variable, variable.Slot, 0, variable.Type);

    /// <summary>Turns lets that still refer to a guest register into copies, before paths diverge.</summary>
    private void SeparatePins()
    {
        for (int i = 0; i < _pins.Count; i++)
        {
            if (_pins[i].SourceRegister >= 0 || _pins[i].SourceOffset >= 0)
            {
                int r = AllocateTemp();
                MoveTo(r, _pins[i].Location);
                _pins[i] = new Pin(Location.InRegister(r), -1, -1);
            }
        }
    }

    /// <summary>Before a guest register changes, lets that refer to it take a copy.</summary>
    private void CopyPinsOf(int hostRegister, int stateOffset)
    {
        for (int i = 0; i < _pins.Count; i++)
        {
            Pin p = _pins[i];
            if ((hostRegister >= 0 && p.SourceRegister == hostRegister) || (stateOffset >= 0 && p.SourceOffset == stateOffset))
            {
                int r = AllocateTemp();
                MoveTo(r, p.Location);
                _pins[i] = new Pin(Location.InRegister(r), -1, -1);
            }
        }
    }

    // ---- registers ----

    public JitValue ReadRegister(int file, JitValue index)
    {
        FlushFlags();
        JitType type = new(_files[file].Bits, false);
        if (_dead)
        {
            return Dead(type);
        }

        int offset = RegisterOffset(file, index);
        if (_known.TryGetValue(offset, out ulong value))
        {
            return Constant(value, type);
        }

        if (HomeOf(file, offset) is { } home)
        {
            return new JitValue(JitValueKind.GuestRegister, home.Register, 0, type);
        }

        return new JitValue(JitValueKind.Memory, offset, (ulong)_layout.RegisterFiles[file].ElementBytes, type);
    }

    public void WriteRegister(int file, JitValue index, JitValue value)
    {
        FlushFlags();
        if (_dead)
        {
            Release(value);
            return;
        }

        int offset = RegisterOffset(file, index);
        Home? home = HomeOf(file, offset);
        CopyPinsOf(home?.Register ?? -1, offset);
        if (home is { } h)
        {
            if (value.Kind == JitValueKind.Deferred && _deferred[value.Slot].Materialized < 0)
            {
                Compute(_deferred[value.Slot], h.Register);
            }
            else
            {
                MoveTo(h.Register, Locate(value));
            }

            _homes[offset] = h with { Written = true };
        }
        else
        {
            int bytes = _layout.RegisterFiles[file].ElementBytes;
            Location source = Locate(value);
            if (source.Kind == LocationKind.Immediate && (bytes == 4 || (long)source.Value == (int)source.Value))
            {
                if (bytes == 8)
                {
                    _a.mov(__qword_ptr[rbx + offset], (int)source.Value);
                }
                else
                {
                    _a.mov(__dword_ptr[rbx + offset], (uint)source.Value);
                }
            }
            else
            {
                int r = InRegister(value, Rax);
                if (bytes == 8)
                {
                    _a.mov(__qword_ptr[rbx + offset], R64(r));
                }
                else
                {
                    _a.mov(__dword_ptr[rbx + offset], R32(r));
                }
            }
        }

        if (value.IsConstant && _dynamicDepth == 0)
        {
            _known[offset] = value.Constant;
        }
        else
        {
            _known.Remove(offset);
        }

        Release(value);
    }

    private int RegisterOffset(int file, JitValue index)
    {
        if (!index.IsConstant)
        {
            throw new JitUnsupportedException("register index computed at run time");
        }

        if (index.Constant >= (ulong)_files[file].Count)
        {
            throw new JitUnsupportedException($"register {_files[file].Name}[{index.Constant}] out of range");
        }

        return _layout.RegisterOffset(file, (int)index.Constant);
    }

    private Home? HomeOf(int file, int offset)
    {
        if (_homes.TryGetValue(offset, out Home home))
        {
            return home;
        }

        int bytes = _layout.RegisterFiles[file].ElementBytes;
        if (_nextCache >= _cacheCandidates.Length || bytes > 8 || _files[file].Bits > 64)
        {
            return null;
        }

        home = new Home(offset, _cacheCandidates[_nextCache++], bytes, false);
        _homes[offset] = home;
        return home;
    }

    // ---- control flow ----

    public void If(JitValue condition)
    {
        if (!IsPendingFlags(condition))
        {
            FlushFlags();
        }

        if (_dead || condition.Kind is JitValueKind.Constant or JitValueKind.Dead)
        {
            bool taken = condition.Constant != 0;
            _ifs.Push(new IfFrame(true, taken, _dead, default, default, false));
            _dead |= !taken;
            Release(condition);
            return;
        }

        SeparatePins();
        Label elseLabel = _a.CreateLabel();
        Label endLabel = _a.CreateLabel();
        JumpIfFalse(condition, elseLabel);
        _ifs.Push(new IfFrame(false, false, false, elseLabel, endLabel, false));
        _dynamicDepth++;
    }

    public void Else()
    {
        FlushFlags();
        IfFrame f = _ifs.Pop();
        if (f.Static)
        {
            _dead = f.OuterDead || f.Taken;
            _ifs.Push(f with { HasElse = true });
            return;
        }

        SeparatePins();
        _a.jmp(f.End);
        Label elseLabel = f.Else;
        Bind(ref elseLabel);
        _ifs.Push(f with { HasElse = true });
    }

    public void EndIf()
    {
        FlushFlags();
        IfFrame f = _ifs.Pop();
        if (f.Static)
        {
            _dead = f.OuterDead;
            return;
        }

        Label end = f.HasElse ? f.End : f.Else;
        Bind(ref end);
        _dynamicDepth--;
    }

    public JitLabel NewLabel()
    {
        _labels.Add(_a.CreateLabel());
        return new JitLabel(_labels.Count - 1);
    }

    public void Goto(JitLabel label)
    {
        FlushFlags();
        if (_dead)
        {
            return;
        }

        SeparatePins();
        _a.jmp(_labels[label.Id]);
    }

    public void Bind(JitLabel label)
    {
        FlushFlags();
        Label l = _labels[label.Id];
        Bind(ref l);
        _labels[label.Id] = l;
    }

    public void Jump(JitValue target)
    {
        FlushFlags();
        if (_dead)
        {
            Release(target);
            return;
        }

        Location l = Locate(target);
        if (l.Kind == LocationKind.Immediate)
        {
            _a.mov(__dword_ptr[rbx + _layout.NextPcOffset], (uint)l.Value);
            ConstantTargets.Add(l.Value);
            if (_dynamicDepth == 0)
            {
                UnconditionalTarget = l.Value;
            }
        }
        else
        {
            _a.mov(__dword_ptr[rbx + _layout.NextPcOffset], R32(InRegister(target, Rax)));
            IndirectTarget = true;
        }

        Release(target);
    }

    public void NullifyDelaySlot()
    {
        FlushFlags();
        if (_dead)
        {
            return;
        }

        // The skipped slot does not retire: give its budget back.
        Nullifies = true;
        _a.add(__qword_ptr[rbx + JitContext.Budget], 1);
        _a.jmp(SkipDelaySlot);
    }

    public void Raise(TrapKind kind, JitValue value)
    {
        FlushFlags();
        if (_dead)
        {
            Release(value);
            return;
        }

        // The trap's value is not needed here: the host re-runs a trapping instruction on the interpreter.
        Release(value);
        _a.jmp(NewTrapStub(kind));
    }

    public void RaiseIf(JitValue condition, TrapKind kind, JitValue value)
    {
        if (!IsPendingFlags(condition))
        {
            FlushFlags();
        }

        Release(value);
        if (_dead || condition.Kind is JitValueKind.Constant or JitValueKind.Dead)
        {
            if (!_dead && condition.Constant != 0)
            {
                _a.jmp(NewTrapStub(kind));
            }

            Release(condition);
            return;
        }

        if (IsPendingFlags(condition))
        {
            ConditionCode cc = _pendingFlags!.Value.Condition;
            _pendingFlags = null;
            Release(condition);
            JumpIf(cc, NewTrapStub(kind));
            return;
        }

        TestNonZero(condition);
        Release(condition);
        _a.jne(NewTrapStub(kind));
    }

    private Label NewTrapStub(TrapKind kind)
    {
        Label stub = _a.CreateLabel();
        Traps.Add(new TrapStub(stub, Current.Pc, Current.Index, Current.InDelaySlot, kind));
        return stub;
    }

    private void JumpIfFalse(JitValue condition, Label target)
    {
        if (IsPendingFlags(condition))
        {
            ConditionCode cc = _pendingFlags!.Value.Condition;
            _pendingFlags = null;
            Release(condition);
            JumpIf(Negate(cc), target);
            return;
        }

        TestNonZero(condition);
        Release(condition);
        _a.je(target);
    }

    private void TestNonZero(JitValue v)
    {
        Location l = Locate(v);
        if (l.Kind == LocationKind.State)
        {
            _a.cmp(__dword_ptr[rbx + l.Offset], 0);
            return;
        }

        int r = InRegister(v, Rax);
        _a.test(R64(r), R64(r));
    }

    private int Materialize(int index)
    {
        DeferredOp d = _deferred[index];
        if (d.Materialized >= 0)
        {
            return d.Materialized;
        }

        int r = d.Owned >= 0 ? d.Owned : AllocateTemp();
        Compute(d, r);
        _deferred[index] = d with { Owned = r, Materialized = r };
        return r;
    }

    private void Compute(DeferredOp d, int r)
    {
        if (d.Op == JitBinary.Add)
        {
            _a.lea(R32(r), __[R64(d.Source) + d.Immediate]); // 32-bit lea: wraps and zero-extends
            return;
        }

        if (r != d.Source)
        {
            _a.mov(R32(r), R32(d.Source));
        }

        _a.and(R32(r), d.Immediate);
    }

    private bool IsUnmaterialized(JitValue v, JitBinary op) =>
        v.Kind == JitValueKind.Deferred && _deferred[v.Slot].Materialized < 0 && _deferred[v.Slot].Op == op;

    private bool IsPendingFlags(JitValue v) => v.Kind == JitValueKind.Temporary && _pendingFlags?.Register == v.Slot;

    /// <summary>Turns a pending comparison into a 0/1 value in its register (setcc does not change the flags).</summary>
    private void FlushFlags()
    {
        if (_pendingFlags is not { } p)
        {
            return;
        }

        _pendingFlags = null;
        SetCondition(p.Condition, p.Register);
        _a.movzx(R32(p.Register), R8(p.Register));
    }

    // ---- registers by number ----

    private static AssemblerRegister64 R64(int r) => new(Register.RAX + r);

    private static AssemblerRegister32 R32(int r) => new(Register.EAX + r);

    private static AssemblerRegister16 R16(int r) => new(Register.AX + r);

    private static AssemblerRegister8 R8(int r) => new(r < 4 ? Register.AL + r : Register.SPL + (r - 4));

    public readonly record struct Home(int Offset, int Register, int Bytes, bool Written);

    public readonly record struct TrapStub(Label Label, ulong Pc, int Index, bool InDelaySlot, TrapKind Kind);

    private readonly record struct Pin(Location Location, int SourceRegister, int SourceOffset);

    /// <summary>
    /// <c>source + imm</c> or <c>source &amp; imm</c> not computed yet: a load or store folds the add
    /// into its address, a test against zero folds the and; anything else materializes it.
    /// </summary>
    private readonly record struct DeferredOp(JitBinary Op, int Source, int Immediate, int Owned, int Materialized);

    private readonly record struct IfFrame(bool Static, bool Taken, bool OuterDead, Label Else, Label End, bool HasElse);

    private enum LocationKind
    {
        Immediate,
        Register,
        State,
    }

    private readonly record struct Location(LocationKind Kind, ulong Value, int Register, int Offset, int Bytes, bool Signed)
    {
        public static Location Immediate(ulong value) => new(LocationKind.Immediate, value, -1, 0, 0, false);

        public static Location InRegister(int r) => new(LocationKind.Register, 0, r, 0, 0, false);

        public static Location InState(int offset, int bytes, bool signed) => new(LocationKind.State, 0, -1, offset, bytes, signed);
    }
}
