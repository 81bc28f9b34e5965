namespace Isa.Runtime.Cpu;

/// <summary>
/// Where each register lives in an ISA's native state (see <see cref="CpuStateBlock"/>): byte offsets
/// from the state pointer, measured from the generated state struct itself.
/// </summary>
/// <param name="Size">The size of the state struct in bytes.</param>
/// <param name="RegisterFiles">Per register file (in <see cref="GuestIsa.Registers"/> order): the offset of element 0 and the element size.</param>
/// <param name="PcOffset">The offset of the PC.</param>
/// <param name="NextPcOffset">The offset of the next PC (the pending target of a delayed branch).</param>
/// <param name="PcBytes">The size of the PC and the next PC.</param>
public sealed record StateLayout(int Size, IReadOnlyList<(int Offset, int ElementBytes)> RegisterFiles, int PcOffset, int NextPcOffset, int PcBytes)
{
    public int RegisterOffset(int file, int index) => RegisterFiles[file].Offset + (index * RegisterFiles[file].ElementBytes);
}
