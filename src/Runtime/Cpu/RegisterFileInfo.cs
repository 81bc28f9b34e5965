namespace Isa.Runtime.Cpu;

/// <summary>A register or register array declared by a spec (<c>gpr[32] : u32</c>, <c>hi : u32</c>).</summary>
/// <param name="Name">The spec name.</param>
/// <param name="Count">Number of elements (1 for a scalar register).</param>
/// <param name="Bits">Width of one element.</param>
/// <param name="ElementNames">Display names of the elements, as the disassembler prints them.</param>
public sealed record RegisterFileInfo(string Name, int Count, int Bits, IReadOnlyList<string> ElementNames, IReadOnlyList<int>? Hardwired = null)
{
    /// <summary>Elements that always read as zero (writes to them are dropped).</summary>
    public IReadOnlyList<int> HardwiredZero => Hardwired ?? [];

    public int IndexOf(string elementName)
    {
        for (int i = 0; i < ElementNames.Count; i++)
        {
            if (ElementNames[i] == elementName)
            {
                return i;
            }
        }

        return -1;
    }
}
