namespace Isa.Backends.Vcpu;

/// <summary>
/// Builds and edits 4-level x64 page tables (virtual -> guest-physical) inside a pool of host memory
/// that the VM sees at guest-physical <c>poolPhysical</c>: table pages are taken from the pool in
/// order, so the host edits entries in place while processors run (they flush their TLB before the
/// next code runs). Entries of not-present pages keep their physical address, so a later
/// <see cref="SetFlags"/> only changes the flag bits.
/// </summary>
public sealed unsafe class PageTableBuilder
{
    public const ulong PageSize = 4096;
    public const ulong LargePageSize = 2 << 20;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
    private const ulong FlagMask = ~AddressMask;
    private const ulong UpperHalf = 0xFFFF_8000_0000_0000;

    // Tables point to the next level with every permission: the last level alone decides.
    private const ulong TableFlags = (ulong)(PageFlags.Present | PageFlags.Writable | PageFlags.Accessed);

    private readonly byte* _pool;
    private readonly ulong _poolPhysical;
    private readonly int _poolPages;
    private int _used;

    /// <param name="pool">Zeroed, 4 KiB aligned host memory of <paramref name="poolPages"/> pages.</param>
    /// <param name="poolPhysical">Where the VM sees <paramref name="pool"/> (4 KiB aligned).</param>
    public PageTableBuilder(nint pool, ulong poolPhysical, int poolPages)
    {
        if ((pool & 0xFFF) != 0 || (poolPhysical & 0xFFF) != 0 || poolPages < 1)
        {
            throw new ArgumentException("the page-table pool must be page aligned and hold at least one page");
        }

        _pool = (byte*)pool;
        _poolPhysical = poolPhysical;
        _poolPages = poolPages;
        Root = AllocateTable();
    }

    /// <summary>The guest-physical address of the top table (CR3).</summary>
    public ulong Root { get; }

    /// <summary>Table pages used so far.</summary>
    public int PagesUsed => _used;

    /// <summary>Maps <paramref name="bytes"/> (4 KiB multiple) at <paramref name="virtualAddress"/> to <paramref name="physical"/> with 4 KiB pages.</summary>
    public void Map(ulong virtualAddress, ulong physical, ulong bytes, PageFlags flags)
    {
        Check(virtualAddress, physical, bytes, PageSize);
        for (ulong offset = 0; offset < bytes; offset += PageSize)
        {
            ulong* pte = Entry(virtualAddress + offset, levels: 4, create: true);
            *pte = ((physical + offset) & AddressMask) | (ulong)(flags & ~PageFlags.Large);
        }
    }

    /// <summary>Maps with 2 MiB pages (addresses and size 2 MiB aligned).</summary>
    public void MapLarge(ulong virtualAddress, ulong physical, ulong bytes, PageFlags flags)
    {
        Check(virtualAddress, physical, bytes, LargePageSize);
        for (ulong offset = 0; offset < bytes; offset += LargePageSize)
        {
            ulong* pde = Entry(virtualAddress + offset, levels: 3, create: true);
            *pde = ((physical + offset) & AddressMask) | (ulong)(flags | PageFlags.Large);
        }
    }

    /// <summary>
    /// Maps every 2 MiB of <paramref name="bytes"/> (2 MiB multiple) at <paramref name="virtualAddress"/> to
    /// the same 2 MiB at <paramref name="physical"/>: a large range of identical read-only content costs one
    /// entry per 2 MiB and no memory.
    /// </summary>
    public void MapLargeShared(ulong virtualAddress, ulong physical, ulong bytes, PageFlags flags)
    {
        Check(virtualAddress, physical, bytes, LargePageSize);
        for (ulong offset = 0; offset < bytes; offset += LargePageSize)
        {
            ulong* pde = Entry(virtualAddress + offset, levels: 3, create: true);
            *pde = (physical & AddressMask) | (ulong)(flags | PageFlags.Large);
        }
    }

    /// <summary>
    /// Turns the 2 MiB page holding <paramref name="virtualAddress"/> into a table of 4 KiB pages that
    /// translate the same (nothing to do where there is no 2 MiB page): then single 4 KiB pages in it
    /// can be remapped. The table is complete before it replaces the large entry (one aligned 8-byte
    /// store), so a processor walking it meanwhile sees either the old or the new mapping.
    /// </summary>
    public void Split(ulong virtualAddress)
    {
        ulong* pde = Entry(virtualAddress, levels: 3, create: true);
        ulong large = *pde;
        if ((large & (ulong)PageFlags.Present) == 0 || (large & (ulong)PageFlags.Large) == 0)
        {
            return;
        }

        ulong table = AllocateTable();
        ulong* entries = TableAt(table);
        ulong physical = large & AddressMask & ~(LargePageSize - 1);
        ulong flags = large & FlagMask & ~(ulong)PageFlags.Large;
        for (ulong i = 0; i < 512; i++)
        {
            entries[i] = (physical + (i * PageSize)) | flags;
        }

        Volatile.Write(ref *pde, table | TableFlags);
    }

    /// <summary>Replaces the flags of 4 KiB pages mapped by <see cref="Map"/>, keeping their physical addresses.</summary>
    public void SetFlags(ulong virtualAddress, ulong bytes, PageFlags flags)
    {
        Check(virtualAddress, 0, bytes, PageSize);
        for (ulong offset = 0; offset < bytes; offset += PageSize)
        {
            ulong* pte = Entry(virtualAddress + offset, levels: 4, create: false);
            if (pte is null)
            {
                throw new InvalidOperationException($"0x{virtualAddress + offset:x} has no page table");
            }

            *pte = (*pte & AddressMask) | (ulong)(flags & ~PageFlags.Large);
        }
    }

    /// <summary>Clears the entries of 4 KiB pages where page tables exist (allocates nothing).</summary>
    public void Unmap(ulong virtualAddress, ulong bytes)
    {
        Check(virtualAddress, 0, bytes, PageSize);
        for (ulong offset = 0; offset < bytes; offset += PageSize)
        {
            ulong* pde = Entry(virtualAddress + offset, levels: 3, create: false);
            if (pde is not null && (*pde & (ulong)PageFlags.Present) != 0 && (*pde & (ulong)PageFlags.Large) == 0)
            {
                *Entry(virtualAddress + offset, levels: 4, create: false) = 0;
            }
        }
    }

    /// <summary>The physical address and flags of the last-level entry for <paramref name="virtualAddress"/>, or null when there is none.</summary>
    public (ulong Physical, PageFlags Flags)? Translate(ulong virtualAddress)
    {
        ulong* pde = Entry(virtualAddress, levels: 3, create: false);
        if (pde is null || (*pde & (ulong)PageFlags.Present) == 0)
        {
            return null;
        }

        if ((*pde & (ulong)PageFlags.Large) != 0)
        {
            return ((*pde & AddressMask & ~(LargePageSize - 1)) + (virtualAddress & (LargePageSize - 1)), (PageFlags)(*pde & FlagMask));
        }

        ulong* pte = Entry(virtualAddress, levels: 4, create: false);
        return pte is null ? null : ((*pte & AddressMask) + (virtualAddress & (PageSize - 1)), (PageFlags)(*pte & FlagMask));
    }

    private static void Check(ulong virtualAddress, ulong physical, ulong bytes, ulong alignment)
    {
        if (((virtualAddress | physical | bytes) & (alignment - 1)) != 0)
        {
            throw new ArgumentException($"0x{virtualAddress:x} -> 0x{physical:x} (0x{bytes:x} bytes) is not {alignment / 1024} KiB aligned");
        }

        // Inside one canonical half: host user-space addresses are below 2^47, the block table lives in the upper half.
        bool lower = virtualAddress < 1UL << 47 && bytes <= (1UL << 47) - virtualAddress;
        bool upper = virtualAddress >= UpperHalf && bytes <= 0 - virtualAddress;
        if (!lower && !upper)
        {
            throw new ArgumentOutOfRangeException(nameof(virtualAddress), $"0x{virtualAddress:x} + 0x{bytes:x} leaves its canonical half");
        }
    }

    /// <summary>The entry for <paramref name="virtualAddress"/> in the table of level <paramref name="levels"/> (1 = PML4 .. 4 = page table).</summary>
    private ulong* Entry(ulong virtualAddress, int levels, bool create)
    {
        ulong table = Root;
        for (int level = 1; ; level++)
        {
            int shift = 39 - (9 * (level - 1));
            ulong* entry = TableAt(table) + ((virtualAddress >> shift) & 511);
            if (level == levels)
            {
                return entry;
            }

            if ((*entry & (ulong)PageFlags.Present) == 0)
            {
                if (!create)
                {
                    return null;
                }

                *entry = AllocateTable() | TableFlags;
            }
            else if ((*entry & (ulong)PageFlags.Large) != 0)
            {
                throw new InvalidOperationException($"0x{virtualAddress:x} is inside a large page");
            }

            table = *entry & AddressMask;
        }
    }

    private ulong* TableAt(ulong physical) => (ulong*)(_pool + (physical - _poolPhysical));

    private ulong AllocateTable()
    {
        if (_used == _poolPages)
        {
            throw new InvalidOperationException($"the page-table pool ({_poolPages} pages) is full");
        }

        ulong physical = _poolPhysical + ((ulong)_used++ * PageSize);
        new Span<byte>(TableAt(physical), (int)PageSize).Clear();
        return physical;
    }
}
