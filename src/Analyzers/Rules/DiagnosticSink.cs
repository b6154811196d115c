using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>Reports diagnostics for one code block, once per rule and location.</summary>
    internal sealed class DiagnosticSink
    {
        private readonly Action<Diagnostic> _report;
        private readonly HashSet<(string Id, Location Location)> _reported = new HashSet<(string, Location)>();

        public DiagnosticSink(Action<Diagnostic> report)
        {
            _report = report;
        }

        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, params object[] messageArguments) =>
            Report(descriptor, node, related: null, messageArguments);

        /// <summary>
        /// Reports at <paramref name="node"/>; <paramref name="related"/> (the earlier signal or impersonation the
        /// message names) becomes the diagnostic's first additional location, which the code fixes rely on.
        /// </summary>
        public void Report(DiagnosticDescriptor descriptor, SyntaxNode node, SyntaxNode? related, params object[] messageArguments) =>
            ReportWithPath(descriptor, node, related is null ? null : new[] { related.GetLocation() }, messageArguments);

        /// <summary>
        /// Reports at <paramref name="node"/> with the places of the finding's path (those its message names) as the
        /// diagnostic's additional locations, in path order; IDEs show them as related locations, SARIF logs as
        /// <c>relatedLocations</c>. For COMIMP001 and COMIMP003 the first is the signal or impersonation the code fixes use.
        /// </summary>
        public void ReportWithPath(DiagnosticDescriptor descriptor, SyntaxNode node, IEnumerable<Location?>? path, params object[] messageArguments)
        {
            Location location = node.GetLocation();
            if (_reported.Add((descriptor.Id, location)))
            {
                List<Location>? additional = null;
                if (path is not null)
                {
                    foreach (Location? place in path)
                    {
                        if (place is not null && place.IsInSource)
                        {
                            (additional ??= new List<Location>()).Add(place);
                        }
                    }
                }

                _report(Diagnostic.Create(descriptor, location, additional, messageArguments));
            }
        }

        /// <summary>The 1-based line a node starts on, for messages that point at an earlier call.</summary>
        public static int LineOf(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
    }
}
