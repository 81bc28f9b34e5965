namespace Isa.Runtime.Memory;

/// <summary>Guest page permissions. Unmapped pages have none.</summary>
[Flags]
public enum MemoryPermissions : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
    ReadExecute = Read | Execute,
    All = Read | Write | Execute,
}
