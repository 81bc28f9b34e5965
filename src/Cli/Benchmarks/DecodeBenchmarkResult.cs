namespace Isa.Cli.Benchmarks;

/// <summary>Timings of <see cref="DecodeBenchmark"/>: each phase ran <paramref name="Iterations"/> passes over <paramref name="Words"/> words.</summary>
/// <param name="Decoded">Words of one pass that decode to an instruction.</param>
public sealed record DecodeBenchmarkResult(string Isa, long Words, long Decoded, int Iterations, TimeSpan DecodeTime, TimeSpan DisassembleTime)
{
    public double DecodesPerSecond => Words * (double)Iterations / DecodeTime.TotalSeconds;

    public double DisassemblesPerSecond => Words * (double)Iterations / DisassembleTime.TotalSeconds;
}
