using System.Runtime.InteropServices;
using Isa.Backends.Vcpu;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>Page tables built for a vCPU, checked by walking them as the processor does.</summary>
public sealed unsafe class PageTableBuilderTests : IDisposable
{
    private const int PoolPages = 64;
    private const ulong PoolPhysical = 0x1_0000_0000;
    private readonly byte* _pool = (byte*)NativeMemory.AlignedAlloc(PoolPages * 4096, 4096);

    public void Dispose() => NativeMemory.AlignedFree(_pool);

    /// <summary>The processor's walk: PML4 -> PDPT -> PD (maybe a 2 MiB page) -> PT; null where an entry is not present.</summary>
    private (ulong Physical, ulong Entry)? Walk(ulong root, ulong va)
    {
        ulong table = root;
        for (int level = 0; level < 4; level++)
        {
            int shift = 39 - (9 * level);
            ulong entry = ((ulong*)(_pool + (table - PoolPhysical)))[(va >> shift) & 511];
            if ((entry & 1) == 0)
            {
                return null;
            }

            ulong address = entry & 0x000F_FFFF_FFFF_F000;
            if (level == 2 && (entry & 0x80) != 0)
            {
                return ((address & ~0x1F_FFFFUL) + (va & 0x1F_FFFF), entry);
            }

            if (level == 3)
            {
                return (address + (va & 0xFFF), entry);
            }

            Assert.InRange(address, PoolPhysical, PoolPhysical + (PoolPages * 4096) - 1);
            Assert.Equal(3UL, entry & 3); // tables never restrict: the last level decides
            table = address;
        }

        return null;
    }

    [Fact]
    public void SmallPagesTranslateToTheirPhysicalAddressWithTheirFlags()
    {
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, PoolPages);
        ulong va = 0x7f12_3456_7000;
        tables.Map(va, 0x2_0000_3000, 0x3000, PageFlags.Present | PageFlags.Writable | PageFlags.NoExecute);
        tables.Map(va + 0x3000, 0x2_0000_9000, 0x1000, PageFlags.Present);

        Assert.Equal(PoolPhysical, tables.Root);
        Assert.Equal((0x2_0000_4abcUL, 0x2_0000_4000UL | 3 | (1UL << 63)), Walk(tables.Root, va + 0x1abc));
        Assert.Equal(0x2_0000_9010UL, Walk(tables.Root, va + 0x3010)!.Value.Physical);
        Assert.Equal(1UL, Walk(tables.Root, va + 0x3010)!.Value.Entry & 3); // read-only
        Assert.Null(Walk(tables.Root, va + 0x4000));
        Assert.Null(Walk(tables.Root, 0x1000));
        Assert.Equal(4, tables.PagesUsed); // PML4, PDPT, PD, PT
    }

    [Fact]
    public void LargePagesMapTwoMebibytesEach()
    {
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, PoolPages);
        tables.MapLarge(0x7000_0000_0000, 0x4000_0000, 0x40_0000, PageFlags.Present);
        Assert.Equal(0x4020_1234UL, Walk(tables.Root, 0x7000_0020_1234)!.Value.Physical);
        Assert.Equal(0x403F_FFFFUL, Walk(tables.Root, 0x7000_003F_FFFF)!.Value.Physical);
        Assert.Null(Walk(tables.Root, 0x7000_0040_0000));
        Assert.Equal((0x4020_1234UL, PageFlags.Present | PageFlags.Large), tables.Translate(0x7000_0020_1234));
        Assert.Throws<InvalidOperationException>(() => tables.Map(0x7000_0000_1000, 0x1000, 0x1000, PageFlags.Present));
    }

    [Fact]
    public void SetFlagsKeepsTheAddressOfPagesThatAreNotPresent()
    {
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, PoolPages);
        tables.Map(0x10_0000_0000, 0x3_0000_0000, 0x10000, PageFlags.None);
        Assert.Null(Walk(tables.Root, 0x10_0000_5000));
        tables.SetFlags(0x10_0000_5000, 0x2000, PageFlags.Present);
        Assert.Equal(0x3_0000_5008UL, Walk(tables.Root, 0x10_0000_5008)!.Value.Physical);
        Assert.Equal(0x3_0000_6000UL, Walk(tables.Root, 0x10_0000_6000)!.Value.Physical);
        Assert.Null(Walk(tables.Root, 0x10_0000_7000));
        tables.SetFlags(0x10_0000_5000, 0x1000, PageFlags.Present | PageFlags.Writable);
        Assert.Equal(3UL, Walk(tables.Root, 0x10_0000_5000)!.Value.Entry & 3);
        Assert.Throws<InvalidOperationException>(() => tables.SetFlags(0x20_0000_0000, 0x1000, PageFlags.Present));
    }

    [Fact]
    public void ASharedRangeMapsOneLargePageEverywhereAndASplitKeepsItsTranslation()
    {
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, PoolPages);
        const ulong Va = 0xFFFF_8000_0000_0000, Shared = 0x3_0000_0000;
        tables.MapLargeShared(Va, Shared, 4UL << 30, PageFlags.Present | PageFlags.NoExecute);
        Assert.Equal(6, tables.PagesUsed); // the root, a directory pointer table, a directory per GiB
        Assert.Equal((Shared + 0x1_2348UL, Shared | 0x81 | (1UL << 63)), Walk(tables.Root, Va + (3UL << 30) + 0x1_2348));
        Assert.Null(Walk(tables.Root, Va + (4UL << 30)));

        tables.Split(Va + 0x40_5000);
        tables.Map(Va + 0x40_5000, 0x5_0000_0000, 0x1000, PageFlags.Present);
        Assert.Equal((0x5_0000_0010UL, 0x5_0000_0000UL | 1), Walk(tables.Root, Va + 0x40_5010));
        Assert.Equal((Shared + 0x6008UL, (Shared + 0x6000) | 1 | (1UL << 63)), Walk(tables.Root, Va + 0x40_6008)); // 4 KiB now, same place
        Assert.Equal(Shared + 0x8UL, Walk(tables.Root, Va + 0x60_0008)!.Value.Physical); // the next 2 MiB stays large
        int used = tables.PagesUsed;
        tables.Split(Va + 0x40_7000); // split already: nothing to do
        Assert.Equal(used, tables.PagesUsed);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new PageTableBuilder((nint)_pool + 8, PoolPhysical, PoolPages));
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, 2);
        Assert.Throws<ArgumentException>(() => tables.Map(0x1234, 0, 0x1000, PageFlags.Present));
        Assert.Throws<ArgumentOutOfRangeException>(() => tables.Map(0x0000_8000_0000_0000, 0, 0x1000, PageFlags.Present)); // not canonical
        Assert.Throws<ArgumentOutOfRangeException>(() => tables.Map(0x7FFF_FFFF_F000, 0, 0x2000, PageFlags.Present)); // leaves the lower half
        Assert.Throws<InvalidOperationException>(() => tables.Map(0x1000, 0, 0x1000, PageFlags.Present)); // needs 3 more tables
    }
}
