using Isa.Guests;
using Isa.Runtime.Cpu;

namespace Isa.Tests.Specs;

/// <summary>Runs every test vector written in the spec files on the generated interpreters, in each byte order.</summary>
public sealed class SpecVectorTests
{
    public static TheoryData<string, int> Vectors()
    {
        var data = new TheoryData<string, int>();
        foreach (GuestIsa isa in IsaCatalog.All)
        {
            for (int i = 0; i < isa.TestVectors.Count; i++)
            {
                data.Add(isa.Name, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void VectorPassesOnTheInterpreter(string isaName, int index)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        SpecTestVector vector = isa.TestVectors[index];
        IReadOnlyList<string> failures = SpecTestRunner.Run(isa, vector);
        Assert.True(failures.Count == 0, $"{isa.Name} {vector}:\n  " + string.Join("\n  ", failures));
    }

    [Fact]
    public void EveryInstructionHasATestVector()
    {
        foreach (GuestIsa isa in IsaCatalog.All)
        {
            var tested = new HashSet<int>();
            foreach (SpecTestVector vector in isa.TestVectors)
            {
                foreach (ulong word in vector.Words)
                {
                    tested.Add(isa.Decode(word));
                }
            }

            string[] untested = isa.Instructions.Where((_, i) => !tested.Contains(i)).Select(i => $"{i.Name} ({i.SpecLocation})").ToArray();
            Assert.True(untested.Length == 0, $"{isa.Name}: instructions without a test vector: {string.Join(", ", untested)}");
        }
    }
}
