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
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new PageTableBuilder((nint)_pool + 8, PoolPhysical, PoolPages));
        var tables = new PageTableBuilder((nint)_pool, PoolPhysical, 2);
        Assert.Throws<ArgumentException>(() => tables.Map(0x1234, 0, 0x1000, PageFlags.Present));
        Assert.Throws<ArgumentOutOfRangeException>(() => tables.Map(0xFFFF_8000_0000_0000, 0, 0x1000, PageFlags.Present));
        Assert.Throws<InvalidOperationException>(() => tables.Map(0x1000, 0, 0x1000, PageFlags.Present)); // needs 3 more tables
    }
}
