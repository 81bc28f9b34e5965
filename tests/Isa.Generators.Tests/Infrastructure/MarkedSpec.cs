using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>
/// A spec text with <c>/*@*/</c> markers before the tokens a diagnostic must point at. The markers are
/// removed, so they do not shift columns; each becomes an expected (0-based) line and column.
/// </summary>
internal sealed class MarkedSpec
{
    public const string Marker = "/*@*/";

    private MarkedSpec(string text, IReadOnlyList<LinePosition> markers)
    {
        Text = text;
        Markers = markers;
    }

    public string Text { get; }

    public IReadOnlyList<LinePosition> Markers { get; }

    /// <summary>The only marker.</summary>
    public LinePosition At => Markers.Count == 1 ? Markers[0] : throw new InvalidOperationException($"expected one marker, found {Markers.Count}");

    public static MarkedSpec Parse(string marked)
    {
        var text = new System.Text.StringBuilder();
        var markers = new List<LinePosition>();
        int line = 0, column = 0;
        for (int i = 0; i < marked.Length; i++)
        {
            if (string.CompareOrdinal(marked, i, Marker, 0, Marker.Length) == 0)
            {
                markers.Add(new LinePosition(line, column));
                i += Marker.Length - 1;
                continue;
            }

            char c = marked[i];
            text.Append(c);
            if (c == '\n')
            {
                line++;
                column = 0;
            }
            else
            {
                column++;
            }
        }

        return new MarkedSpec(text.ToString(), markers);
    }
}
