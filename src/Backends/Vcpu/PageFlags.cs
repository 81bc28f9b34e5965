namespace Isa.Backends.Vcpu;

/// <summary>The bits of an x64 page-table entry the vCPU hosts use.</summary>
[Flags]
public enum PageFlags : ulong
{
    None = 0,
    Present = 1,
    Writable = 2,
    Accessed = 1 << 5,
    Dirty = 1 << 6,

    /// <summary>In a page-directory entry: a 2 MiB page instead of a page table.</summary>
    Large = 1 << 7,

    /// <summary>Needs EFER.NXE.</summary>
    NoExecute = 1UL << 63,
}
