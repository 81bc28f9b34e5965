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
/// never has to reconcile allocations; the engine's resident registers keep theirs across blocks. Constants fold, including guest registers whose value the
/// block knows; a comparison feeding an <c>If</c> or a <c>Select</c> stays in the flags.
/// </summary>
internal sealed partial class X64Emitter : IJitEmitter
{
    // RBX holds the state pointer; RAX, RCX and RDX are scratch inside one operation.
    private static readonly int[] TempRegisters = [8, 9, 10, 11];
    private static readonly int[] CacheRegistersGs = [5, 6, 7, 12, 13, 14];
    private static readonly int[] CacheRegistersBase = [5, 6, 7, 12, 13];
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rbx = 3, R15 = 15;

    private readonly Assembler _a;
    private readonly GuestIsa _isa;
    private readonly StateLayout _layout;
    private readonly IReadOnlyList<RegisterFileInfo> _files;
    private readonly MemoryAddressing _addressing;
    private readonly int[] _cacheCandidates;

    // Block-wide (cleared by Reset): guest registers' homes, in the order they were given, and what the block knows of them.
    private readonly List<int> _preferredHomes = [];
    private bool _restrictHomes;
    private readonly Home[] _homes;
    private int _homeCount;
    private readonly Dictionary<int, ulong> _known = [];
    private readonly HashSet<int> _hardwired = [];

    // Instruction-wide.
    private uint _freeTemps;
    private readonly List<Pin> _pins = [];
    private readonly List<int> _variables = [];
    private readonly List<DeferredOp> _deferred = [];
    private readonly List<Label> _labels = [];
    private readonly Stack<IfFrame> _ifs = new();
    private bool _dead;
    private int _dynamicDepth;
    private (int Register, ConditionCode Condition)? _pendingFlags;
    private PendingLoad? _pendingLoad;
    private (ConditionCode FalseCondition, Label Else, int Depth)? _pendingBranch;
    private int _lastLabelInstruction = -1;

    /// <summary>The optional CPU features the generated code may use (the JIT options: normally what the CPU has); without one, its fallback.</summary>
    public HostFeatures HostFeatures { get; init; }

    /// <summary>Big-endian guests load and store with MOVBE where the host has it, else a plain access and BSWAP.</summary>
    private bool UsesMovbe => (HostFeatures & HostFeatures.Movbe) != 0;

    /// <summary>An emitter for blocks assembled into <paramref name="assembler"/>; one serves many blocks (<see cref="Reset"/>).</summary>
    public X64Emitter(Assembler assembler, GuestIsa isa, MemoryAddressing addressing)
    {
        _a = assembler;
        _isa = isa;
        _layout = isa.StateLayout;
        _files = isa.Registers;
        for (int file = 0; file < _files.Count; file++)
        {
            foreach (int index in _files[file].HardwiredZero)
            {
                _known[_layout.RegisterOffset(file, index)] = 0;
                _hardwired.Add(_layout.RegisterOffset(file, index));
            }
        }

        BigEndian = isa.Endianness == Endianness.Big;
        _addressing = addressing;
        _cacheCandidates = CacheRegisters(addressing);
        _homes = new Home[_cacheCandidates.Length];
    }

    /// <summary>
    /// Forgets the previous block (the emitter is reused, so that translation allocates nothing per
    /// block): every home, known value, target, trap and label goes; <see cref="BeginSegment"/> then
    /// names its (first) direct jump.
    /// </summary>
    public void Reset(ulong blockPc)
    {
        _blockPc = blockPc;
        _preferredHomes.Clear();
        _restrictHomes = false;
        _homeCount = 0;
        ForgetKnownValues();
        ConstantTargets.Clear();
        IndirectTarget = false;
        IndirectRegister = null;
        UnconditionalTarget = null;
        Nullifies = false;
        SkipDelaySlot = default;
        BeginSegment(-1, last: true);
        Traps.Clear();
        _lastLabelInstruction = -1;
        _notNaN = 0;
        _interpretExit = null;
        ForgetCaptures();
        BeginInstruction(0, -1, false);
    }

    /// <summary>
    /// Starts a block, or the next segment of a superblock (after a branch not taken): its branch
    /// becomes the direct jump (-1: none); what the emitter knows of values and homes carries on. With <paramref name="last"/>
    /// (nothing follows the branch in the block) the taken path may store the homes and leave by a
    /// linkable <c>jcc</c> (<see cref="DirectSite"/>).
    /// </summary>
    public void BeginSegment(int directJumpIndex, bool last)
    {
        DirectJumpIndex = directJumpIndex;
        _directLast = last;
        DirectTaken = default;
        DirectNotTaken = default;
        DirectTarget = null;
        DirectSite = default;
        DirectFailed = false;
        _directMark = -1;
        _directDepth = 0;
        _directSealed = -1;
    }

    public bool BigEndian { get; }

    /// <summary>
    /// The register that holds the instruction budget while JIT code runs (R15, or R14 when R15 is
    /// the window base): a memory counter would chain every block to the previous one's store.
    /// </summary>
    public static AssemblerRegister64 BudgetRegister(MemoryAddressing addressing) => addressing == MemoryAddressing.BaseRegister ? r14 : r15;

    /// <summary>How many guest registers a block can keep in host registers.</summary>
    public static int HomeCount(MemoryAddressing addressing) => CacheRegisters(addressing).Length;

    /// <summary>The host registers guest registers get as homes (one fewer where a register holds the window base).</summary>
    private static int[] CacheRegisters(MemoryAddressing addressing) => addressing == MemoryAddressing.BaseRegister ? CacheRegistersBase : CacheRegistersGs;

    /// <summary>The guest register homes of the block: state offset, host register, element bytes, written.</summary>
    public ReadOnlySpan<Home> Homes => _homes.AsSpan(0, _homeCount);

    /// <summary>Jump targets the block's instructions produced (constants), and whether any was computed.</summary>
    public HashSet<ulong> ConstantTargets { get; } = [];

    public bool IndirectTarget { get; private set; }

    /// <summary>
    /// The register holding the target of the block's computed jump when it is the last instruction
    /// emitted (<see cref="DirectJumpIndex"/>) and outside any condition: the translator's exit jumps
    /// through it, and NextPc is not written. Null when the target went to NextPc.
    /// </summary>
    public AssemblerRegister32? IndirectRegister { get; private set; }

    /// <summary>A constant jump outside any condition: the block's only successor.</summary>
    public ulong? UnconditionalTarget { get; private set; }

    public bool Nullifies { get; private set; }

    /// <summary>Bound by the translator right after the delay slot.</summary>
    public Label SkipDelaySlot { get; set; }

    /// <summary>
    /// The index of the block's branch when it is the last instruction emitted (the translator's
    /// choice): a constant jump under a condition there becomes a jump to <see cref="DirectTaken"/>,
    /// where the translator puts the taken exit, and falling through is not taken; no NextPc store.
    /// A constant jump outside any condition there stores no NextPc either (the translator links to it).
    /// </summary>
    public int DirectJumpIndex { get; private set; } = -1;

    public Label DirectTaken { get; private set; }

    /// <summary>
    /// Where the not-taken path goes when the branch loops to the block's start: the jcc jumps there
    /// on the negated condition and the taken path falls through into the translator's budget check
    /// and loop (one taken jump a turn; a loop turns more often than it ends). Empty otherwise: the
    /// not-taken path falls through.
    /// </summary>
    public Label DirectNotTaken { get; private set; }

    /// <summary>The target of the direct jump, if the branch made one.</summary>
    public ulong? DirectTarget { get; private set; }

    /// <summary>
    /// Where the direct jump's linkable <c>jcc rel32</c> is, if it has one (a target other than the
    /// block's start): the homes were stored before it, so neither exit stores them, and once linked
    /// the taken path jumps straight into the target's block instead of through its exit first.
    /// </summary>
    public Label DirectSite { get; private set; }

    /// <summary>True if code that the taken path must run came after the direct jump: the block is emitted again without it.</summary>
    public bool DirectFailed { get; private set; }

    // After the direct jump: the instruction count its then-part must keep until its frame closes
    // (-1: no direct jump open), that frame's depth, and the count the rest of the instruction must keep.
    private int _directMark = -1;
    private int _directDepth;
    private int _directSealed = -1;
    private bool _directLast;
    private ulong _blockPc;

    public List<TrapStub> Traps { get; } = [];

    /// <summary>The instruction being emitted: its PC, index in the block and whether it is a delay slot.</summary>
    public (ulong Pc, int Index, bool InDelaySlot) Current { get; private set; }

    // Where the current instruction's trap stubs resume: itself, or the branch a delay slot emitted before it restarts at.
    private (ulong Pc, int Index, bool InDelaySlot) _restart;

    /// <param name="restart">
    /// The instruction its exits restart at instead of itself (PC, index): a delay slot emitted before its
    /// branch leaves as if the branch had not run yet, and the interpreter runs both again.
    /// </param>
    public void BeginInstruction(ulong pc, int index, bool inDelaySlot, (ulong Pc, int Index)? restart = null)
    {
        Current = (pc, index, inDelaySlot);
        _restart = restart is { } at ? (at.Pc, at.Index, false) : Current;
        AdvanceCapture();
        _freeTemps = 0;
        foreach (int r in TempRegisters)
        {
            _freeTemps |= 1u << r;
        }

        _freeTemps &= ~_captureTemps;

        _pins.Clear();
        _variables.Clear();
        _deferred.Clear();
        _labels.Clear();
        _ifs.Clear();
        _dead = false;
        _dynamicDepth = 0;
        _pendingFlags = null;
        _pendingLoad = null;
        _pendingBranch = null;
        _guestWritten = false;
    }

    public void EndInstruction()
    {
        FlushFlags();
        if (_directMark >= 0 || (_directSealed >= 0 && _a.Instructions.Count != _directSealed))
        {
            DirectFailed = true;
        }

        _directMark = _directSealed = -1;
        if (_ifs.Count != 0)
        {
            throw new JitUnsupportedException("unbalanced If/EndIf in generated frontend");
        }
    }

    /// <summary>
    /// Gives the <paramref name="resident"/> homes their registers, then the first of the
    /// <paramref name="preferred"/> guest registers (state offsets, the busiest first) that are not
    /// resident the home registers left, in the order of their offsets, so the set is fixed for the
    /// whole block: no other register gets one.
    /// </summary>
    public void AllocateHomes(ReadOnlySpan<Home> resident, ReadOnlySpan<int> preferred)
    {
        _restrictHomes = true;
        foreach (Home home in resident)
        {
            _homes[_homeCount++] = home;
        }

        foreach (int offset in preferred)
        {
            if (_preferredHomes.Count < _cacheCandidates.Length - _homeCount && HomeIndex(offset) < 0)
            {
                _preferredHomes.Add(offset);
            }
        }

        _preferredHomes.Sort();
        foreach (int offset in _preferredHomes)
        {
            if (_isa.RegisterAt(offset) is { } register)
            {
                HomeOf(register.File, offset);
            }
        }
    }

    /// <summary>
    /// The homes of the guest <paramref name="registers"/> (file, index) made resident for a whole
    /// engine: the first home registers, in order. Throws if one cannot have a home.
    /// </summary>
    public static Home[] ResidentHomes(GuestIsa isa, MemoryAddressing addressing, ReadOnlySpan<(int File, int Index)> registers)
    {
        int[] candidates = CacheRegisters(addressing);
        if (registers.Length > candidates.Length)
        {
            throw new ArgumentException($"at most {candidates.Length} guest registers can be resident, not {registers.Length}", nameof(registers));
        }

        var homes = new Home[registers.Length];
        for (int i = 0; i < registers.Length; i++)
        {
            (int file, int index) = registers[i];
            if (file < 0 || file >= isa.Registers.Count || !CanBeResident(isa, file, index) || registers[..i].Contains(registers[i]))
            {
                throw new ArgumentException($"register {file}:{index} cannot be resident in a host register (a file's element of at most 64 bits, not hardwired, once)", nameof(registers));
            }

            homes[i] = new Home(isa.StateLayout.RegisterOffset(file, index), candidates[i], isa.StateLayout.RegisterFiles[file].ElementBytes, false, Resident: true);
        }

        return homes;
    }

    /// <summary>Whether element <paramref name="index"/> of register file <paramref name="file"/> can live in a host register.</summary>
    public static bool CanBeResident(GuestIsa isa, int file, int index)
    {
        RegisterFileInfo info = isa.Registers[file];
        return index >= 0 && index < info.Count && isa.StateLayout.RegisterFiles[file].ElementBytes <= 8 && info.Bits <= 64 && !info.HardwiredZero.Contains(index);
    }

    /// <summary>Loads the homes from the state (the resident ones only with <paramref name="resident"/>).</summary>
    public static void LoadHomes(Assembler a, ReadOnlySpan<Home> homes, bool resident)
    {
        foreach (Home h in homes)
        {
            if (h.Resident && !resident)
            {
                continue;
            }

            if (h.Bytes == 8)
            {
                a.mov(new AssemblerRegister64(Register.RAX + h.Register), __qword_ptr[rbx + h.Offset]);
            }
            else
            {
                a.mov(new AssemblerRegister32(Register.EAX + h.Register), __dword_ptr[rbx + h.Offset]);
            }
        }
    }

    /// <summary>Stores the homes the block wrote (the resident ones are the exit stub's), or with <paramref name="all"/> every home.</summary>
    public static void StoreHomes(Assembler a, ReadOnlySpan<Home> homes, bool all = false)
    {
        foreach (Home h in homes)
        {
            if (!all && (!h.Written || h.Resident))
            {
                continue;
            }

            if (h.Bytes == 8)
            {
                a.mov(__qword_ptr[rbx + h.Offset], new AssemblerRegister64(Register.RAX + h.Register));
            }
            else
            {
                a.mov(__dword_ptr[rbx + h.Offset], new AssemblerRegister32(Register.EAX + h.Register));
            }
        }
    }

    /// <summary>After code outside the emitter's view changed guest registers: the block knows no values but the hardwired ones.</summary>
    public void ForgetKnownValues()
    {
        ForgetResidues();
        _known.Clear();
        foreach (int offset in _hardwired)
        {
            _known[offset] = 0;
        }
    }

    public void Bind(ref Label label)
    {
        if (_lastLabelInstruction == _a.Instructions.Count)
        {
            // Iced binds one label per instruction: a zero-byte one holds the earlier label (it does not count against a direct jump).
            bool mark = _directMark == _a.Instructions.Count, sealedHere = _directSealed == _a.Instructions.Count;
            _a.zero_bytes();
            _directMark += mark ? 1 : 0;
            _directSealed += sealedHere ? 1 : 0;
        }

        _a.Label(ref label);
        _lastLabelInstruction = _a.Instructions.Count;
        if (Nullifies && label.Equals(SkipDelaySlot))
        {
            // The path that skipped the delay slot joins here: what the slot wrote or proved is unknown.
            ForgetKnownValues();
        }
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
        _notNaN &= ~(1u << r);
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
            }

            if (d.OwnedRight >= 0)
            {
                _freeTemps |= 1u << d.OwnedRight;
            }

            _deferred[v.Slot] = d with { Owned = -1, OwnedRight = -1 };
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
        JitValueKind.Pinned => PinLocation(v.Slot),
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
        // A let of a pending load keeps its type: a later extension must not change the register under it.
        if (IsPendingFlags(value) || value.Kind is JitValueKind.Variable or JitValueKind.Deferred || (value.Kind == JitValueKind.Temporary && _pendingLoad?.Register == value.Slot))
        {
            FlushFlags();
        }

        if (_dead || value.Kind is JitValueKind.Constant or JitValueKind.Pinned or JitValueKind.Dead)
        {
            return value;
        }

        if (value.Kind == JitValueKind.Deferred && _deferred[value.Slot] is { Materialized: < 0, Owned: < 0, OwnedRight: < 0, Op: DeferredKind.Add, Right.Kind: LocationKind.Immediate } address
            && ((address.Left.Kind == LocationKind.Register && IsHomeRegister(address.Left.Register)) || IsStateWord(address.Left)))
        {
            // A guest register plus a displacement (a spec's checked address) stays uncomputed: an access
            // folds it into its operand, an alignment test reads the register (in its home or in the
            // state); a write to the register computes it first.
            bool home = address.Left.Kind == LocationKind.Register;
            _pins.Add(new Pin(default, home ? address.Left.Register : -1, home ? -1 : address.Left.Offset, value.Slot));
            return new JitValue(JitValueKind.Pinned, _pins.Count - 1, 0, value.Type);
        }

        LowBits bits = BitsOf(value);
        (int originOffset, ulong addend) = OriginOf(value);
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
        _pins.Add(new Pin(location, source, stateOffset, -1, originOffset, addend, bits));
        return new JitValue(JitValueKind.Pinned, _pins.Count - 1, 0, value.Type);
    }

    public JitVariable NewVariable(JitType type)
    {
        FlushFlags();
        int r = AllocateTemp();
        _variables.Add(r);
        return new JitVariable(r, type);
    }

    public JitScope BeginScope() => new(_pins.Count, _variables.Count);

    public JitValue EndScope(JitScope scope, JitValue result)
    {
        // A result computed from a let (a deferred operation reads its register) is computed now.
        if (result.Kind == JitValueKind.Deferred && !_dead)
        {
            Locate(result);
        }

        int keep = result.Kind switch
        {
            JitValueKind.Temporary or JitValueKind.Variable => result.Slot,
            JitValueKind.Deferred => _deferred[result.Slot].Materialized,
            JitValueKind.Pinned when _pins[result.Slot].Location.Kind == LocationKind.Register => _pins[result.Slot].Location.Register,
            _ => -1,
        };
        for (int i = scope.Lets; i < _pins.Count; i++)
        {
            Pin p = _pins[i];
            if (p.Location.Kind == LocationKind.Register && p.SourceRegister < 0 && p.Location.Register != keep && IsTemp(p.Location.Register))
            {
                _freeTemps |= 1u << p.Location.Register;
                _pins[i] = new Pin(Location.Immediate(0), -1, -1); // dead: nothing reads it again
            }
        }

        for (int i = scope.Variables; i < _variables.Count; i++)
        {
            if (_variables[i] != keep)
            {
                _freeTemps |= 1u << _variables[i];
            }
        }

        _variables.RemoveRange(scope.Variables, _variables.Count - scope.Variables);
        return result;
    }

    private static bool IsTemp(int r) => Array.IndexOf(TempRegisters, r) >= 0;

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

    /// <summary>Where a let's value is; an address let uncomputed is computed now (a lea into a temporary the let then owns: the flags stay).</summary>
    private Location PinLocation(int pin)
    {
        Pin p = _pins[pin];
        if (p.Deferred < 0)
        {
            return p.Location;
        }

        LowBits bits = PinBits(pin);
        (int originOffset, ulong addend) = PinOrigin(pin);
        int r = Materialize(p.Deferred);
        _deferred[p.Deferred] = _deferred[p.Deferred] with { Owned = -1 };
        _pins[pin] = new Pin(Location.InRegister(r), -1, -1, -1, originOffset, addend, bits);
        return Location.InRegister(r);
    }

    /// <summary>The uncomputed <c>register + displacement</c> of an address let, or null.</summary>
    private DeferredOp? LazyAddress(JitValue v) => v.Kind == JitValueKind.Pinned && _pins[v.Slot].Deferred is var d and >= 0 ? _deferred[d] : null;

    /// <summary>True if host register <paramref name="r"/> is a guest register's home (it changes only by a guest register write, which copies the lets reading it first).</summary>
    private bool IsHomeRegister(int r)
    {
        for (int i = 0; i < _homeCount; i++)
        {
            if (_homes[i].Register == r)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Turns lets that still refer to a guest register into copies, before paths diverge.</summary>
    private void SeparatePins()
    {
        for (int i = 0; i < _pins.Count; i++)
        {
            if (_pins[i].Deferred >= 0)
            {
                PinLocation(i);
            }
            else if (_pins[i].SourceRegister >= 0 || _pins[i].SourceOffset >= 0)
            {
                int r = AllocateTemp();
                MoveTo(r, _pins[i].Location);
                _pins[i] = new Pin(Location.InRegister(r), -1, -1, Bits: PinBits(i));
            }
        }
    }

    /// <summary>Before a guest register changes, lets that refer to it take a copy.</summary>
    private void CopyPinsOf(int hostRegister, int stateOffset)
    {
        for (int i = 0; i < _pins.Count; i++)
        {
            Pin p = _pins[i];
            if (p.Deferred >= 0)
            {
                if ((hostRegister >= 0 && p.SourceRegister == hostRegister) || (stateOffset >= 0 && p.SourceOffset == stateOffset))
                {
                    PinLocation(i);
                }
            }
            else if ((hostRegister >= 0 && p.SourceRegister == hostRegister) || (stateOffset >= 0 && p.SourceOffset == stateOffset))
            {
                int r = AllocateTemp();
                MoveTo(r, p.Location);
                _pins[i] = new Pin(Location.InRegister(r), -1, -1, Bits: PinBits(i));
            }
        }
    }

    // ---- registers ----

    public JitValue ReadRegister(int file, JitValue index)
    {
        JitType type = new(_files[file].Bits, false);
        if (_dead)
        {
            return Dead(type);
        }

        int offset = RegisterOffset(file, index);
        if (TryReadCapture(offset, type, out JitValue captured))
        {
            return captured;
        }

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
        // A pending load or comparison written to a guest register with a home goes straight into it
        // (nothing else is pending with either; the copies of lets below are moves, which keep the flags).
        PendingLoad? load = value.Kind == JitValueKind.Temporary && _pendingLoad?.Register == value.Slot ? _pendingLoad : null;
        var flags = IsPendingFlags(value) ? _pendingFlags : null;
        _pendingLoad = null;
        _pendingFlags = flags is null ? _pendingFlags : null;
        FlushFlags();
        _pendingLoad = load;
        _pendingFlags = flags ?? _pendingFlags;
        if (_dead)
        {
            FlushFlags();
            Release(value);
            return;
        }

        int offset = RegisterOffset(file, index);
        LowBits bits = BitsOf(value); // before the write: it may change a source
        _guestWritten = true;
        Home? home = HomeOf(file, offset);
        if (home is null)
        {
            FlushFlags();
        }

        CopyPinsOf(home?.Register ?? -1, offset);
        bool deferred = value.Kind == JitValueKind.Deferred && _deferred[value.Slot].Materialized < 0;
        if (home is { } h)
        {
            if (_pendingLoad is { } l)
            {
                _pendingLoad = null;
                EmitLoad(l with { Register = h.Register });
            }
            else if (_pendingFlags is { } f)
            {
                // setcc writes the low byte only: the movzx makes the register 0 or 1.
                _pendingFlags = null;
                SetCondition(f.Condition, h.Register);
                _a.movzx(R32(h.Register), R8(h.Register));
            }
            else if (deferred)
            {
                Compute(_deferred[value.Slot], h.Register);
            }
            else
            {
                MoveTo(h.Register, Locate(value));
            }

            MarkWritten(offset);
        }
        else if (deferred && _layout.RegisterFiles[file].ElementBytes == 4)
        {
            // In place when it reads the register it writes (addiu s1, s1, 1: one add to memory), else
            // computed in the scratch register and stored: no temporary taken.
            if (!TryComputeInState(_deferred[value.Slot], offset))
            {
                Compute(_deferred[value.Slot], Rax);
                _a.mov(__dword_ptr[rbx + offset], eax);
            }
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

        RegisterWritten(offset, bits);
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
        if (HomeIndex(offset) is >= 0 and int found)
        {
            return _homes[found];
        }

        int bytes = _layout.RegisterFiles[file].ElementBytes;
        if (_homeCount >= _cacheCandidates.Length || bytes > 8 || _files[file].Bits > 64 || (_restrictHomes && !_preferredHomes.Contains(offset)))
        {
            return null;
        }

        var home = new Home(offset, _cacheCandidates[_homeCount], bytes, false);
        _homes[_homeCount++] = home;
        return home;
    }

    /// <summary>The home of the guest register at <paramref name="offset"/> must be stored back at the exits.</summary>
    private void MarkWritten(int offset)
    {
        if (HomeIndex(offset) is >= 0 and int i)
        {
            _homes[i] = _homes[i] with { Written = true };
        }
    }

    /// <summary>Which of the block's homes holds the guest register at <paramref name="offset"/>, or -1: a handful of homes, so a scan beats a hash.</summary>
    private int HomeIndex(int offset)
    {
        for (int i = 0; i < _homeCount; i++)
        {
            if (_homes[i].Offset == offset)
            {
                return i;
            }
        }

        return -1;
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
        if (Current.Index == DirectJumpIndex && DirectTarget is null)
        {
            // Held back: if the then-part is just the direct jump, it becomes one jump on the condition.
            _pendingBranch = (FalseCondition(condition), elseLabel, _ifs.Count + 1);
        }
        else
        {
            JumpIfFalse(condition, elseLabel);
        }

        _ifs.Push(new IfFrame(false, false, false, elseLabel, endLabel, false));
        _dynamicDepth++;
    }

    public void Else()
    {
        FlushFlags();
        CloseDirectFrame(elsePart: true);
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
        ForgetResiduesFrom(_dynamicDepth); // the then-part's facts do not hold on the else path
        _ifs.Push(f with { HasElse = true });
    }

    public void EndIf()
    {
        FlushFlags();
        CloseDirectFrame(elsePart: false);
        IfFrame f = _ifs.Pop();
        if (f.Static)
        {
            _dead = f.OuterDead;
            return;
        }

        Label end = f.HasElse ? f.End : f.Else;
        Bind(ref end);
        ForgetResiduesFrom(_dynamicDepth);
        _dynamicDepth--;
    }

    /// <summary>
    /// At the else or end of a frame: nothing may have been emitted after a direct jump in it (the taken
    /// path skips it); an else part runs only when not taken, but after the frame's end nothing may follow.
    /// </summary>
    private void CloseDirectFrame(bool elsePart)
    {
        if (_directMark >= 0 && _ifs.Count == _directDepth)
        {
            DirectFailed |= _a.Instructions.Count != _directMark;
            _directMark = -1;
            if (!elsePart)
            {
                _directSealed = _a.Instructions.Count;
            }
        }
        else if (!elsePart && _directDepth > 0 && _ifs.Count == _directDepth && _directSealed < 0 && DirectTarget is not null && _directMark < 0)
        {
            // The end of the frame whose else part followed the direct jump.
            _directSealed = _a.Instructions.Count;
        }
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
        ForgetResidues(); // a goto from anywhere in the instruction may arrive here
    }

    public void Jump(JitValue target)
    {
        // An If's held-back jump stays held for a direct jump (nothing else is pending with it).
        var held = _pendingBranch;
        _pendingBranch = null;
        FlushFlags();
        _pendingBranch = held;
        if (_dead)
        {
            Release(target);
            return;
        }

        if (_pendingBranch is { } pending && !(target.IsConstant && pending.Depth == _ifs.Count && DirectTarget is null))
        {
            FlushBranch();
        }

        Location l = Locate(target);

        if (Current.Index == DirectJumpIndex && _dynamicDepth > 0)
        {
            if (l.Kind == LocationKind.Immediate && DirectTarget is null)
            {
                DirectTaken = _a.CreateLabel();
                DirectTarget = l.Value;
                DirectFailed |= UnconditionalTarget is not null;
                if (_pendingBranch is { } b && b.Depth == _ifs.Count)
                {
                    // The then-part is only this jump: taken when the condition holds.
                    _pendingBranch = null;
                    ConditionCode taken = Negate(b.FalseCondition);
                    if (l.Value == _blockPc)
                    {
                        DirectNotTaken = _a.CreateLabel();
                        JumpIf(b.FalseCondition, DirectNotTaken);
                    }
                    else
                    {
                        if (_directLast)
                        {
                            // Nothing follows the branch, so both exits store the same homes: once, here
                            // (no flags change). Until linked the jcc falls into the same test to the exit.
                            StoreHomes(_a, Homes);
                            Label site = _a.CreateLabel();
                            Bind(ref site);
                            DirectSite = site;
                            LinkableJumpIf(taken);
                        }

                        JumpIf(taken, DirectTaken);
                    }
                }
                else
                {
                    _a.jmp(DirectTaken);
                }

                _directMark = _a.Instructions.Count;
                _directDepth = _ifs.Count;
                Release(target);
                return;
            }

            DirectFailed = true; // a second or computed jump under a condition: the NextPc way
        }

        if (l.Kind == LocationKind.Immediate)
        {
            // The block's jump outside any condition: the translator links to it, and nothing after it
            // (a delay slot that cannot leave, or none) reads NextPc.
            if (_dynamicDepth > 0 || Current.Index != DirectJumpIndex)
            {
                _a.mov(__dword_ptr[rbx + _layout.NextPcOffset], (uint)l.Value);
            }

            ConstantTargets.Add(l.Value);
            if (_dynamicDepth == 0)
            {
                // A direct conditional jump and an unconditional one in one instruction: the exits would disagree.
                DirectFailed |= Current.Index == DirectJumpIndex && DirectTarget is not null;
                UnconditionalTarget = l.Value;
            }
        }
        else if (Current.Index == DirectJumpIndex && _dynamicDepth == 0 && !IndirectTarget && DirectTarget is null)
        {
            // The block's computed jump, emitted last: its target stays in the register that holds it
            // (a home, a temporary, a capture, or RAX loaded from the state) for the translator's
            // lookup, with no NextPc store and reload between. Nothing may follow in the instruction.
            int r = InRegister(target, Rax);
            if (r is Rcx or Rdx)
            {
                _a.mov(R32(Rax), R32(r));
                r = Rax;
            }

            IndirectRegister = R32(r);
            IndirectTarget = true;
            _directSealed = _a.Instructions.Count;
        }
        else
        {
            _a.mov(__dword_ptr[rbx + _layout.NextPcOffset], R32(InRegister(target, Rax)));
            DirectFailed |= IndirectRegister is not null; // a second computed jump: the NextPc way
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
        _a.add(BudgetRegister(_addressing), 1);
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
            FlagsTest? test = TestOf(condition, cc);
            _pendingFlags = null;
            Release(condition);
            JumpIf(cc, NewTrapStub(kind));
            if (test is { } t)
            {
                // The non-zero case left the block: from here on the tested bits are zero.
                LearnZero(t.Offset, t.Addend, t.Mask);
            }

            return;
        }

        TestNonZero(condition);
        Release(condition);
        _a.jne(NewTrapStub(kind));
    }

    /// <param name="afterCallOut">The interpreter stopped inside a call-out: the state's PC pair is already exact.</param>
    public Label NewTrapStub(TrapKind kind, bool afterCallOut = false)
    {
        Label stub = _a.CreateLabel();
        Traps.Add(new TrapStub(stub, _restart.Pc, _restart.Index, _restart.InDelaySlot, kind, afterCallOut));
        return stub;
    }

    private void JumpIfFalse(JitValue condition, Label target) => JumpIf(FalseCondition(condition), target);

    /// <summary>Sets the flags from <paramref name="condition"/>: the condition code that holds when it is false.</summary>
    private ConditionCode FalseCondition(JitValue condition)
    {
        if (IsPendingFlags(condition))
        {
            ConditionCode cc = _pendingFlags!.Value.Condition;
            _pendingFlags = null;
            Release(condition);
            return Negate(cc);
        }

        TestNonZero(condition);
        Release(condition);
        return ConditionCode.e;
    }

    /// <summary>Emits the held-back jump of an <c>If</c> at the branch (every operation that emits code does so first).</summary>
    private void FlushBranch()
    {
        if (_pendingBranch is { } b)
        {
            _pendingBranch = null;
            JumpIf(b.FalseCondition, b.Else);
        }
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

        int r = d.Owned >= 0 ? d.Owned : d.OwnedRight >= 0 ? d.OwnedRight : AllocateTemp();
        Compute(d, r);
        if (d.OwnedRight >= 0 && d.OwnedRight != r)
        {
            _freeTemps |= 1u << d.OwnedRight;
        }

        _deferred[index] = d with { Owned = r, OwnedRight = -1, Materialized = r };
        return r;
    }

    /// <summary>
    /// Computes a deferred 32-bit operation into <paramref name="r"/> (a temporary or a guest register's
    /// home): straight into it, reading the sources before it is written (x86's two-operand forms
    /// overwrite their first operand, so a right operand already in <paramref name="r"/> is used as it is).
    /// </summary>
    private void Compute(DeferredOp d, int r)
    {
        Location from = d.Left;
        if (d.Op == DeferredKind.Copy)
        {
            // A 32-bit value with its sign or zero extension: one move from where it is.
            switch (from.Kind, d.Signed)
            {
                case (LocationKind.Register, true): _a.movsxd(R64(r), R32(from.Register)); break;
                case (LocationKind.Register, false) when from.Register != r: _a.mov(R32(r), R32(from.Register)); break;
                case (LocationKind.State, true): _a.movsxd(R64(r), __dword_ptr[rbx + from.Offset]); break;
                case (LocationKind.State, false): _a.mov(R32(r), __dword_ptr[rbx + from.Offset]); break;
            }

            return;
        }

        ComputeLow(d, r);
        if (d.Signed)
        {
            _a.movsxd(R64(r), R32(r));
        }
    }

    /// <summary>The 32 bits of a deferred operation, zero-extended, into <paramref name="r"/>.</summary>
    private void ComputeLow(DeferredOp d, int r)
    {
        if (TryComputeByMove(d, r))
        {
            return;
        }

        Location left = d.Left, right = d.Right;
        bool inPlace = left.Kind == LocationKind.Register && left.Register == r;
        if (d.Op is DeferredKind.ShlVariable or DeferredKind.ShrVariable or DeferredKind.SarVariable)
        {
            ShiftByRegister(d.Op, left, right, r);
            return;
        }

        if (d.Op == DeferredKind.Mul && right.Kind == LocationKind.Immediate)
        {
            // The three-operand imul reads its source where it is.
            if (left.Kind == LocationKind.Register)
            {
                _a.imul(R32(r), R32(left.Register), (int)(uint)right.Value);
            }
            else
            {
                _a.imul(R32(r), __dword_ptr[rbx + left.Offset], (int)(uint)right.Value);
            }

            return;
        }

        if (!inPlace && right.Kind == LocationKind.Register && right.Register == r)
        {
            // r holds the right operand: a commutative operation takes the left one as its source, a
            // subtraction is -right + left.
            if (d.Op is DeferredKind.Add or DeferredKind.And or DeferredKind.Or or DeferredKind.Xor or DeferredKind.Mul)
            {
                Alu32(d.Op, r, left);
                return;
            }

            if (d.Op == DeferredKind.Sub)
            {
                _a.neg(R32(r));
                if (left is not { Kind: LocationKind.Immediate, Value: 0 })
                {
                    Alu32(DeferredKind.Add, r, left);
                }

                return;
            }
        }

        if (d.Op == DeferredKind.Sub && left is { Kind: LocationKind.Immediate, Value: 0 })
        {
            MoveTo(r, right);
            _a.neg(R32(r));
            return;
        }

        if (!inPlace)
        {
            MoveTo(r, left);
        }

        switch (d.Op)
        {
            case DeferredKind.Shl: _a.shl(R32(r), (byte)right.Value); break;
            case DeferredKind.Shr: _a.shr(R32(r), (byte)right.Value); break;
            case DeferredKind.Ror: _a.ror(R32(r), (byte)right.Value); break;
            case DeferredKind.Sar: _a.sar(R32(r), (byte)right.Value); break;
            case DeferredKind.Not: _a.not(R32(r)); break;
            case DeferredKind.Neg: _a.neg(R32(r)); break;
            default: Alu32(d.Op, r, right); break;
        }
    }

    /// <summary>A 32-bit shift (<paramref name="op"/>: a variable one) of <paramref name="value"/> by the register or state word <paramref name="count"/> into <paramref name="r"/>.</summary>
    private void ShiftByRegister(DeferredKind op, Location value, Location count, int r)
    {
        int c = count.Kind == LocationKind.Register ? count.Register : Rcx;
        MoveTo(c, count);
        if ((HostFeatures & HostFeatures.Bmi2) != 0)
        {
            // shlx/shrx read the value where it is and write any register: no copy first.
            if (value.Kind == LocationKind.Immediate)
            {
                int held = c == r ? Rdx : r;
                MoveTo(held, value);
                value = Location.InRegister(held);
            }

            if (value.Kind == LocationKind.Register)
            {
                AssemblerRegister32 v = R32(value.Register);
                switch (op)
                {
                    case DeferredKind.ShlVariable: _a.shlx(R32(r), v, R32(c)); break;
                    case DeferredKind.ShrVariable: _a.shrx(R32(r), v, R32(c)); break;
                    default: _a.sarx(R32(r), v, R32(c)); break;
                }
            }
            else
            {
                AssemblerMemoryOperand m = __dword_ptr[rbx + value.Offset];
                switch (op)
                {
                    case DeferredKind.ShlVariable: _a.shlx(R32(r), m, R32(c)); break;
                    case DeferredKind.ShrVariable: _a.shrx(R32(r), m, R32(c)); break;
                    default: _a.sarx(R32(r), m, R32(c)); break;
                }
            }

            return;
        }

        // The count goes to CL before r is written (r may hold it).
        MoveTo(Rcx, Location.InRegister(c));
        if (value.Kind != LocationKind.Register || value.Register != r)
        {
            MoveTo(r, value);
        }

        switch (op)
        {
            case DeferredKind.ShlVariable: _a.shl(R32(r), cl); break;
            case DeferredKind.ShrVariable: _a.shr(R32(r), cl); break;
            default: _a.sar(R32(r), cl); break;
        }
    }

    /// <summary>
    /// One instruction that writes <paramref name="r"/> from sources left alone and keeps the flags
    /// (lea, movzx), where the operation allows it: a copy and the operation otherwise.
    /// </summary>
    private bool TryComputeByMove(DeferredOp d, int r)
    {
        if (!ComputesByMove(d, r))
        {
            return false;
        }

        Location left = d.Left, right = d.Right;
        uint value = (uint)right.Value;
        if (left.Kind == LocationKind.State)
        {
            // The state block is little-endian host memory: the low byte or halfword comes first.
            _a.movzx(R32(r), value == 0xFF ? __byte_ptr[rbx + left.Offset] : __word_ptr[rbx + left.Offset]);
            return true;
        }

        AssemblerRegister64 source = R64(left.Register);
        switch (d.Op)
        {
            // 32-bit lea: wraps and zero-extends.
            case DeferredKind.Add when right.Kind == LocationKind.Immediate: _a.lea(R32(r), __[source + (int)value]); break;
            case DeferredKind.Add: _a.lea(R32(r), __[source + R64(right.Register)]); break;
            case DeferredKind.Sub: _a.lea(R32(r), __[source + (int)(0u - value)]); break;
            case DeferredKind.Shl when value == 1: _a.lea(R32(r), __[source + source]); break;
            case DeferredKind.Shl: _a.lea(R32(r), __[source * (1 << (int)value)]); break;
            case DeferredKind.And when value == 0xFF: _a.movzx(R32(r), R8(left.Register)); break;
            default: _a.movzx(R32(r), R16(left.Register)); break;
        }

        return true;
    }

    /// <summary>
    /// Whether <see cref="TryComputeByMove"/> computes <paramref name="d"/> into <paramref name="r"/>
    /// (-1: a register none of its sources is) with one instruction that keeps the flags.
    /// </summary>
    private static bool ComputesByMove(DeferredOp d, int r)
    {
        Location left = d.Left, right = d.Right;
        bool immediate = right.Kind == LocationKind.Immediate;
        uint value = (uint)right.Value;
        if (left.Kind == LocationKind.State)
        {
            return d.Op == DeferredKind.And && immediate && value is 0xFF or 0xFFFF;
        }

        if (left.Kind != LocationKind.Register || left.Register == r || (right.Kind == LocationKind.Register && right.Register == r))
        {
            return false;
        }

        return d.Op switch
        {
            DeferredKind.Add => immediate || right.Kind == LocationKind.Register,
            DeferredKind.Sub => immediate,
            DeferredKind.Shl => immediate && value is >= 1 and <= 3,
            DeferredKind.And => immediate && value is 0xFF or 0xFFFF,
            _ => false,
        };
    }

    /// <summary>
    /// Writes a deferred operation whose left operand is the guest register at <paramref name="offset"/>
    /// in the state block back to it with one read-modify-write instruction; false if it has none.
    /// </summary>
    private bool TryComputeInState(DeferredOp d, int offset)
    {
        if (d.Left.Kind != LocationKind.State || d.Left.Offset != offset || d.Right.Kind is not (LocationKind.Immediate or LocationKind.Register))
        {
            return false;
        }

        AssemblerMemoryOperand m = __dword_ptr[rbx + offset];
        if (d.Right.Kind == LocationKind.Register)
        {
            AssemblerRegister32 y = R32(d.Right.Register);
            switch (d.Op)
            {
                case DeferredKind.Add: _a.add(m, y); return true;
                case DeferredKind.Sub: _a.sub(m, y); return true;
                case DeferredKind.And: _a.and(m, y); return true;
                case DeferredKind.Or: _a.or(m, y); return true;
                case DeferredKind.Xor: _a.xor(m, y); return true;
                default: return false;
            }
        }

        int imm = (int)(uint)d.Right.Value;
        switch (d.Op)
        {
            case DeferredKind.Add: _a.add(m, imm); return true;
            case DeferredKind.Sub: _a.sub(m, imm); return true;
            case DeferredKind.And: _a.and(m, imm); return true;
            case DeferredKind.Or: _a.or(m, imm); return true;
            case DeferredKind.Xor: _a.xor(m, imm); return true;
            case DeferredKind.Copy: return true; // the register as it is
            case DeferredKind.Not: _a.not(m); return true;
            case DeferredKind.Neg: _a.neg(m); return true;
            case DeferredKind.Sar: _a.sar(m, (byte)imm); return true;
            case DeferredKind.Shl: _a.shl(m, (byte)imm); return true;
            case DeferredKind.Shr: _a.shr(m, (byte)imm); return true;
            case DeferredKind.Ror: _a.ror(m, (byte)imm); return true;
            default: return false;
        }
    }

    private void Alu32(DeferredKind op, int d, Location right)
    {
        JitBinary binary = op switch
        {
            DeferredKind.Add => JitBinary.Add,
            DeferredKind.Sub => JitBinary.Sub,
            DeferredKind.And => JitBinary.And,
            DeferredKind.Or => JitBinary.Or,
            DeferredKind.Mul => JitBinary.Mul,
            _ => JitBinary.Xor,
        };
        Alu(binary, d, wide: false, right);
    }

    private bool IsUnmaterialized(JitValue v, DeferredKind op) =>
        v.Kind == JitValueKind.Deferred && _deferred[v.Slot].Materialized < 0 && _deferred[v.Slot].Op == op;

    /// <summary>True if materializing the value would change the flags (anything but a lea or a movzx).</summary>
    private bool MaterializingClobbersFlags(JitValue v)
    {
        if (v.Kind != JitValueKind.Deferred || _deferred[v.Slot].Materialized >= 0)
        {
            return false;
        }

        // Where Materialize computes it: a temporary the value owns, else a fresh one (none of the sources).
        DeferredOp d = _deferred[v.Slot];
        int r = d.Owned >= 0 ? d.Owned : d.OwnedRight >= 0 ? d.OwnedRight : -1;
        return d.Op != DeferredKind.Copy && !ComputesByMove(d, r);
    }

    private bool IsPendingFlags(JitValue v) => v.Kind == JitValueKind.Temporary && _pendingFlags?.Register == v.Slot;

    /// <summary>Turns a pending comparison into a 0/1 value in its register (setcc does not change the flags).</summary>
    private void FlushFlags()
    {
        // A pending load, branch and comparison never coexist: each flushes the others when it begins.
        FlushBranch();
        FlushLoad();
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

    /// <summary>
    /// A guest register kept in a host register. A resident one (<see cref="ResidentRegisters"/>) stays
    /// there across linked blocks: the entry stub loads it, the exit stub stores it, so a block
    /// neither loads it in its prologue nor stores it at its exits.
    /// </summary>
    public readonly record struct Home(int Offset, int Register, int Bytes, bool Written, bool Resident = false);

    public readonly record struct TrapStub(Label Label, ulong Pc, int Index, bool InDelaySlot, TrapKind Kind, bool AfterCallOut);

    /// <param name="Deferred">An address let not computed yet: the deferred add (of <paramref name="SourceRegister"/>) it stands for, else -1.</param>
    /// <param name="OriginOffset">A let computed from a guest register: it is that register plus <paramref name="Addend"/> while the register is unchanged (else -1).</param>
    /// <param name="Bits">What is known of its low bits (for a let that refers to no register).</param>
    private readonly record struct Pin(Location Location, int SourceRegister, int SourceOffset, int Deferred = -1, int OriginOffset = -1, ulong Addend = 0, LowBits Bits = default);

    /// <summary>
    /// A 32-bit <c>left op right</c> not computed yet: written to a guest register it is computed in its
    /// home (or in place in the state block), a load or store folds an add of an immediate into its
    /// address, a test against zero folds an and; anything else materializes it. The left operand is
    /// in a register or the state block (a constant only for a subtraction or a variable shift), the
    /// right one anywhere. <paramref name="Signed"/>: the value is an s32, sign-extended once computed.
    /// </summary>
    private readonly record struct DeferredOp(DeferredKind Op, Location Left, Location Right, int Owned, int OwnedRight, int Materialized, bool Signed);

    private enum DeferredKind
    {
        Add,
        Sub,
        And,
        Or,
        Xor,
        Mul,
        Shl,
        Shr,
        Ror,
        Sar,
        ShlVariable,
        ShrVariable,
        SarVariable,
        Not,
        Neg,

        /// <summary>The left operand itself (<c>s32(gpr[rs])</c>): a 32-bit comparison reads it where it is.</summary>
        Copy,
    }

    /// <summary>Defers a 32-bit operation on a value in a register; the result is computed where it is used.</summary>
    private JitValue Defer(DeferredKind op, JitValue left, Location source, JitValue right, Location rightLocation, JitType type)
    {
        int owned = left.Kind == JitValueKind.Temporary ? left.Slot : -1;
        if (left.Kind == JitValueKind.Deferred)
        {
            owned = _deferred[left.Slot].Owned;
            _deferred[left.Slot] = _deferred[left.Slot] with { Owned = -1 };
        }

        int ownedRight = right.Kind == JitValueKind.Temporary ? right.Slot : -1;
        if (right.Kind == JitValueKind.Deferred)
        {
            ownedRight = _deferred[right.Slot].Owned;
            _deferred[right.Slot] = _deferred[right.Slot] with { Owned = -1 };
        }

        _deferred.Add(new DeferredOp(op, source, rightLocation, owned, ownedRight, -1, type == JitType.S32));
        return new JitValue(JitValueKind.Deferred, _deferred.Count - 1, 0, type);
    }

    /// <summary>A deferred 32-bit value as <paramref name="type"/> (u32 or s32): the same operation, extended the other way once computed.</summary>
    private JitValue Redefer(JitValue v, JitType type)
    {
        DeferredOp d = _deferred[v.Slot];
        _deferred[v.Slot] = d with { Owned = -1, OwnedRight = -1 };
        _deferred.Add(d with { Signed = type.Signed });
        return new JitValue(JitValueKind.Deferred, _deferred.Count - 1, 0, type);
    }

    /// <summary>Where an s32 operand's 32 bits are without computing them (the source of a sign extension not done yet), or null.</summary>
    private Location? Low32Source(JitValue v)
    {
        if (IsUnmaterialized(v, DeferredKind.Copy))
        {
            return _deferred[v.Slot].Left;
        }

        Location l = Locate(v);
        return l.Kind is LocationKind.Register or LocationKind.Immediate || (l.Kind == LocationKind.State && l.Bytes == 4) ? l : null;
    }

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
