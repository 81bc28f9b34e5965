namespace Isa.Runtime.Linux;

/// <summary>A file's status as the host reported it (from <c>statx</c>), before an ABI lays it out for the guest.</summary>
public readonly record struct HostStat(
    ulong Device,
    ulong Inode,
    uint Mode,
    uint Links,
    uint Uid,
    uint Gid,
    ulong RawDevice,
    long Size,
    int BlockSize,
    long Blocks,
    long AccessSeconds,
    uint AccessNanoseconds,
    long ModifySeconds,
    uint ModifyNanoseconds,
    long ChangeSeconds,
    uint ChangeNanoseconds);
