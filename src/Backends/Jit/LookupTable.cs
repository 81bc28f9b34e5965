using System.Runtime.InteropServices;
using Iced.Intel;

namespace Isa.Backends.Jit;

/// <summary>
/// The in-process computed-jump table: <see cref="JitRuntimeStubs.LookupEntries"/> direct-mapped
/// (guest PC, host code) entries reached through the context's LookupTable field and probed inline
/// (<see cref="JitRuntimeStubs.EmitProbe"/>). PCs a table size apart share an entry, so a miss
/// gives the entry back to the block it missed. An entry holding no block has PC 1 (no instruction
/// is at an odd address); a new table is all zero instead, which matches no PC either as long as
/// its first entry (the only one PC 0 maps to) says 1: so it stays on the kernel's zero pages
/// rather than touching 1 MiB at every start-up.
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

    public override bool EmitJump(Assembler a, int pcOffset, int nextPcOffset, Label miss)
    {
        JitRuntimeStubs.EmitProbe(a, pcOffset, nextPcOffset, _instructionShift, miss);
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
        for (int i = 0; i < JitRuntimeStubs.LookupEntries; i++)
        {
            *(uint*)(_entries + (i * JitRuntimeStubs.LookupEntryBytes)) = NoPc;
        }
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
