using System.Numerics;
using Iced.Intel;
using Isa.Backends.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Vcpu;

/// <summary>
/// The block table of the vCPUs of one VM, at GS base: for every guest instruction address the host
/// address of its block's code, so a computed jump is <c>ror eax, shift; jmp qword gs:[rax*8]</c>. The
/// entry of PC is at <see cref="EntryOffset"/>: PC rotated right by log2(instruction size), times 8.
/// Aligned PCs fill the first 4 GiB / instruction size entries; a misaligned PC's low bits rotate
/// to the top, beyond them, where every entry is a miss, so the dispatcher sees it (and the
/// interpreter raises the guest's address error). The table spans 2^32 entries (32 GiB of virtual
/// space, in the upper canonical half, where no host address is).
/// <para>
/// Every table page without a block maps one shared read-only physical 2 MiB "miss region" whose
/// entries all hold the engine's lookup-miss stub (2 MiB pages, so the tables for the whole span
/// take 33 pages). When a computed jump missed and the block is known, its table page gets its
/// own physical page from a pool in memslots of 2 MiB (the 2 MiB page is split into 4 KiB ones);
/// the new mapping reaches the processors as any page-table change does (their TLB is flushed at
/// their next entry or call-out; until then a stale miss only costs an exit). Invalidation writes
/// the miss stub back. Entries are aligned 8-byte stores, so the vCPUs of every guest thread read
/// the table while the host writes it.
/// </para>
/// </summary>
internal sealed unsafe class VcpuBlockTable : IndirectJumps
{
    /// <summary>GS base inside the vCPUs.</summary>
    public const ulong Base = 0xFFFF_8000_0000_0000;

    /// <summary>2^32 entries of 8 bytes: every 32-bit value a rotated PC can take.</summary>
    public const ulong Bytes = 1UL << 35;

    private const ulong PageSize = PageTableBuilder.PageSize;
    private const int PoolChunkPages = (int)(PageTableBuilder.LargePageSize / PageSize);

    private readonly VcpuAddressSpace _space;
    private readonly int _shift;
    private readonly Dictionary<ulong, nint> _pages = []; // table page number -> its host page
    private nint _missStub;
    private nint _pool;
    private ulong _poolPhysical;
    private int _poolUsed = PoolChunkPages;

    public VcpuBlockTable(VcpuAddressSpace space, int instructionBytes)
    {
        if (!BitOperations.IsPow2(instructionBytes) || instructionBytes > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(instructionBytes), $"instructions of {instructionBytes} bytes: the block table needs a power of two up to 8");
        }

        _space = space;
        _shift = BitOperations.Log2((uint)instructionBytes);
    }

    /// <summary>Table pages that hold blocks (each has its own physical page).</summary>
    public int FilledPages => _pages.Count;

    /// <summary>Where the entry of <paramref name="pc"/> is, from GS base: what the emitted jump computes.</summary>
    public static ulong EntryOffset(ulong pc, int instructionBytes) => (ulong)BitOperations.RotateRight((uint)pc, BitOperations.Log2((uint)instructionBytes)) * 8;

    /// <summary>Fills the miss region with the miss stub's address and maps the whole table to it.</summary>
    public void Start(nint missStub)
    {
        _missStub = missStub;
        const ulong RegionBytes = PageTableBuilder.LargePageSize;
        nint region = _space.Allocate(RegionBytes, zero: false);
        FillWithMisses(region, RegionBytes);
        ulong physical = _space.Back(region, RegionBytes, writable: false, RegionBytes);
        _space.MapLargeShared(Base, physical, Bytes, PageFlags.Present | PageFlags.NoExecute);
    }

    public override bool EmitJump(Assembler a, AssemblerRegister32 target, int pcOffset, Label miss)
    {
        // The target's register stays as it is (a resident guest register lives on in the next block).
        a.mov(__dword_ptr[rbx + pcOffset], target);
        if (target != eax)
        {
            a.mov(eax, target);
        }

        if (_shift != 0)
        {
            a.ror(eax, (byte)_shift);
        }

        a.jmp(__qword_ptr.gs[rax * 8]);
        return false;
    }

    /// <summary>Nothing: a table page is taken only for the targets of computed jumps, when one misses.</summary>
    public override void Translated(ulong pc, nint code)
    {
    }

    public override void Missed(ulong pc, nint code)
    {
        ulong offset = EntryOffset(pc, 1 << _shift);
        if (!_pages.TryGetValue(offset / PageSize, out nint page))
        {
            page = NewPage(offset / PageSize);
        }

        Volatile.Write(ref *(nint*)(page + (nint)(offset % PageSize)), code);
    }

    public override void Invalidated(ulong pc, nint code)
    {
        ulong offset = EntryOffset(pc, 1 << _shift);
        if (_pages.TryGetValue(offset / PageSize, out nint page))
        {
            Interlocked.CompareExchange(ref *(nint*)(page + (nint)(offset % PageSize)), _missStub, code);
        }
    }

    /// <summary>Every filled page misses again; the pages stay mapped and are filled again as jumps miss.</summary>
    public override void Flushed()
    {
        foreach (nint page in _pages.Values)
        {
            FillWithMisses(page, PageSize);
        }
    }

    /// <summary>A physical page of its own for a table page, every entry a miss until filled.</summary>
    private nint NewPage(ulong number)
    {
        if (_poolUsed == PoolChunkPages)
        {
            _pool = _space.Allocate(PageTableBuilder.LargePageSize, zero: false);
            _poolPhysical = _space.Back(_pool, PageTableBuilder.LargePageSize, writable: true, PageSize);
            _poolUsed = 0;
        }

        nint page = _pool + (nint)((ulong)_poolUsed * PageSize);
        ulong physical = _poolPhysical + ((ulong)_poolUsed * PageSize);
        _poolUsed++;
        FillWithMisses(page, PageSize);
        _space.MapPage(Base + (number * PageSize), physical, PageFlags.Present | PageFlags.NoExecute);
        _pages.Add(number, page);
        return page;
    }

    /// <summary>Every entry of <paramref name="bytes"/> of table at <paramref name="at"/> is the miss stub's address.</summary>
    private void FillWithMisses(nint at, ulong bytes) => new Span<nint>((void*)at, (int)(bytes / 8)).Fill(_missStub);
}
