using System.Runtime.InteropServices;
using Iced.Intel;

namespace Isa.Backends.Jit;

/// <summary>
/// The in-process computed-jump table: <see cref="JitRuntimeStubs.LookupEntries"/> direct-mapped
/// (guest PC, host code) entries reached through the context's LookupTable field and probed inline
/// (<see cref="JitRuntimeStubs.EmitProbe"/>). PCs a table size apart share an entry, so a miss
/// gives the entry back to the block it missed. An empty table is all zero but for its first entry
/// (the only one PC 0 maps to), whose PC is 1: no instruction is at an odd address, so no PC matches,
/// and a new table stays on the kernel's zero pages rather than touching 1 MiB at every start-up.
/// An invalidated entry says PC 1 too.
/// </summary>
internal sealed unsafe class LookupTable : IndirectJumps, IDisposable
{
    private readonly int _instructionShift;
    private byte* _entries;

    public LookupTable(int instructionShift)
    {
        _instructionShift = instructionShift;
        _entries = (byte*)NativeMemory.AllocZeroed(TableBytes);
        *(uint*)_entries = NoPc;
    }

    private const nuint TableBytes = JitRuntimeStubs.LookupEntries * JitRuntimeStubs.LookupEntryBytes;

    private const uint NoPc = 1; // misaligned for every ISA: no computed jump target matches it

    ~LookupTable() => Free();

    public override bool EmitJump(Assembler a, AssemblerRegister32 target, int pcOffset, Label miss)
    {
        JitRuntimeStubs.EmitProbe(a, target, pcOffset, _instructionShift, miss);
        return true;
    }

    public override void Attach(nint state) => *(nint*)(state + JitContext.LookupTable) = (nint)_entries;

    public override void Translated(ulong pc, nint code) => Set(pc, code);

    public override void Missed(ulong pc, nint code) => Set(pc, code);

    public override void Invalidated(ulong pc, nint code)
    {
        byte* entry = Entry(pc);
        if (*(nint*)(entry + 8) == code)
        {
            *(uint*)entry = NoPc;
        }
    }

    public override void Flushed()
    {
        // No thread runs JIT code during a flush: the table empties as it was made.
        NativeMemory.Clear(_entries, TableBytes);
        *(uint*)_entries = NoPc;
    }

    private void Set(ulong pc, nint code)
    {
        // Readers compare the PC, then jump through the host address: never show a new PC with an old address.
        byte* entry = Entry(pc);
        Volatile.Write(ref *(uint*)entry, NoPc);
        Volatile.Write(ref *(long*)(entry + 8), code);
        Volatile.Write(ref *(uint*)entry, (uint)pc);
    }

    private byte* Entry(ulong pc) => _entries + ((int)((pc >> _instructionShift) & (JitRuntimeStubs.LookupEntries - 1)) * JitRuntimeStubs.LookupEntryBytes);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_entries != null)
        {
            NativeMemory.Free(_entries);
            _entries = null;
        }
    }
}
