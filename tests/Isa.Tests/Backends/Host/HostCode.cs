using System.Runtime.InteropServices;
using Iced.Intel;
using Isa.Backends.Host;

namespace Isa.Tests.Backends.Host;

/// <summary>Assembles test functions with Iced into code memory.</summary>
internal static class HostCode
{
    private const int BlockSize = 4096;

    /// <summary>Assembles <paramref name="a"/> at a fresh allocation; labels resolve through the result.</summary>
    public static (nint Entry, AssemblerResult Result) Emit(ExecutableMemory memory, Assembler a)
    {
        nint at = memory.Allocate(BlockSize);
        var stream = new MemoryStream();
        AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), (ulong)at, BlockEncoderOptions.ReturnNewInstructionOffsets);
        Assert.True(stream.Length <= BlockSize);
        memory.Write(at, stream.ToArray());
        return (at, result);
    }

    /// <summary>The mappings of this process from /proc/self/maps.</summary>
    public static List<(ulong Start, ulong End, string Permissions, string Path)> Mappings()
    {
        var mappings = new List<(ulong, ulong, string, string)>();
        foreach (string line in File.ReadAllLines("/proc/self/maps"))
        {
            string[] parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            string[] range = parts[0].Split('-');
            mappings.Add((Convert.ToUInt64(range[0], 16), Convert.ToUInt64(range[1], 16), parts[1], parts.Length > 5 ? parts[5].Trim() : ""));
        }

        return mappings;
    }

    /// <summary>Native memory for a JIT-style context that lives for the test.</summary>
    public static unsafe nint AllocZeroed(int size) => (nint)NativeMemory.AllocZeroed((nuint)size);

    public static unsafe void Free(nint block) => NativeMemory.Free((void*)block);
}
