using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// The check every fix test makes besides "compiles and the diagnostic is gone" (SPEC §4, issue 16): a fix never
    /// changes what runs impersonated, except to end it where the diagnostic says it leaks. Each explicit call in the
    /// source that may run impersonated (on some path, exceptions aside, from an impersonation with no revert since,
    /// nor a signal since one of the COM call context) must still be able to run impersonated after the fix, as often
    /// as before. Calls after a signal do not count for the COM call context: running them impersonated is the leak
    /// COMIMP003 reports. Any other impersonation goes on across a signal.
    /// </summary>
    /// <remarks>
    /// What impersonates, reverts and signals is asked of the analyzer's own recognition (<see cref="FixSemantics"/>),
    /// so wrappers and renamed P/Invokes count too; the question answered here is only where the calls run. A
    /// <c>finally</c> is applied on every branch that leaves its <c>try</c>.
    /// </remarks>
    internal static class StillImpersonated
    {
        public static async Task VerifyAsync(IReadOnlyList<string> declarations, string source, string fixedSource)
        {
            Dictionary<string, int> before = await ImpersonatedCallsAsync(declarations, source).ConfigureAwait(false);
            if (before.Count == 0)
            {
                return;
            }

            Dictionary<string, int> after = await ImpersonatedCallsAsync(declarations, fixedSource).ConfigureAwait(false);
            var lost = before
                .Where(pair => !after.TryGetValue(pair.Key, out int count) || count < pair.Value)
                .Select(pair => pair.Key)
                .ToList();
            Assert.True(
                lost.Count == 0,
                "The fix changed what runs impersonated; no longer impersonated: " + string.Join(", ", lost));
        }

        /// <summary>Each call that may run impersonated, by member and text, with how many such calls there are.</summary>
        public static async Task<Dictionary<string, int>> ImpersonatedCallsAsync(IReadOnlyList<string> declarations, string markedSource)
        {
            TestFileMarkupParser.GetSpans(markedSource, out string source, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
            using var workspace = new AdhocWorkspace();
            Project project = workspace.AddProject("StillImpersonated", LanguageNames.CSharp)
                .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Disable))
                .WithParseOptions(new CSharpParseOptions(LanguageVersion.CSharp12))
                .WithMetadataReferences(TestReferences.Net);
            int index = 0;
            foreach (string declaration in declarations)
            {
                TestFileMarkupParser.GetSpans(declaration, out string plain, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
                project = project.AddDocument("Declarations" + index++ + ".cs", plain).Project;
            }

            Document document = project.AddDocument("Test.cs", source);
            FixSemantics? semantics = await FixSemantics.CreateAsync(document, CancellationToken.None).ConfigureAwait(false);
            SyntaxNode? root = await document.GetSyntaxRootAsync().ConfigureAwait(false);
            var result = new Dictionary<string, int>();
            if (semantics is null || root is null)
            {
                return result;
            }

            foreach (SyntaxNode body in root.DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            {
                if (semantics.Model.GetOperation(body) is not { } operation)
                {
                    continue;
                }

                ControlFlowGraph? graph = operation switch
                {
                    IMethodBodyBaseOperation methodBody => GraphOf(methodBody),
                    IAnonymousFunctionOperation or ILocalFunctionOperation => null,
                    _ => null,
                };

                if (graph is null && operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    graph = GraphOfNested(semantics.Model, body);
                }

                if (graph is null)
                {
                    continue;
                }

                // Nested functions are told apart by their order in the member, which a fix does not change.
                MemberDeclarationSyntax? declaration = body.FirstAncestorOrSelf<MemberDeclarationSyntax>();
                string member = declaration switch
                {
                    MethodDeclarationSyntax method => method.Identifier.ValueText,
                    null => "",
                    _ => declaration.Kind().ToString(),
                };
                string function = body is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax && declaration is not null
                    ? member + "/" + declaration.DescendantNodes().Where(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax).ToList().IndexOf(body)
                    : member;
                foreach (InvocationExpressionSyntax call in new Flow(graph, semantics).MayRunImpersonated())
                {
                    string key = function + ": " + string.Concat(call.ToString().Where(c => !char.IsWhiteSpace(c)));
                    result[key] = result.TryGetValue(key, out int count) ? count + 1 : 1;
                }
            }

            return result;
        }

        private static ControlFlowGraph? GraphOf(IMethodBodyBaseOperation body) => body switch
        {
            IMethodBodyOperation method => ControlFlowGraph.Create(method),
            IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor),
            _ => null,
        };

        /// <summary>A lambda's or local function's own graph, from the graph of the member that holds it.</summary>
        private static ControlFlowGraph? GraphOfNested(SemanticModel model, SyntaxNode nested)
        {
            var chain = new List<SyntaxNode>();
            SyntaxNode? member = null;
            for (SyntaxNode? node = nested; node is not null; node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    chain.Insert(0, node);
                }
                else if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax)
                {
                    member = node;
                    break;
                }
            }

            if (member is null || model.GetOperation(member) is not IMethodBodyBaseOperation body)
            {
                return null;
            }

            if (GraphOf(body) is not { } graph)
            {
                return null;
            }

            foreach (SyntaxNode step in chain)
            {
                ControlFlowGraph? next = null;
                foreach (IOperation candidate in graph.Blocks.SelectMany(b => b.Operations.Concat(b.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { b.BranchValue })).SelectMany(o => o.DescendantsAndSelf()))
                {
                    if (candidate is IFlowAnonymousFunctionOperation lambda && lambda.Syntax == step)
                    {
                        next = graph.GetAnonymousFunctionControlFlowGraph(lambda);
                        break;
                    }
                }

                if (next is null && step is LocalFunctionStatementSyntax)
                {
                    foreach (IMethodSymbol local in graph.LocalFunctions)
                    {
                        if (local.DeclaringSyntaxReferences.Any(r => r.GetSyntax() == step))
                        {
                            next = graph.GetLocalFunctionControlFlowGraph(local);
                            break;
                        }
                    }
                }

                if (next is null)
                {
                    return null;
                }

                graph = next;
            }

            return graph;
        }

        /// <summary>A may-analysis over one graph: true where the thread may be impersonated.</summary>
        private sealed class Flow
        {
            private readonly ControlFlowGraph _graph;
            private readonly FixSemantics _semantics;
            private readonly HashSet<InvocationExpressionSyntax> _impersonated = new HashSet<InvocationExpressionSyntax>();

            public Flow(ControlFlowGraph graph, FixSemantics semantics)
            {
                _graph = graph;
                _semantics = semantics;
            }

            public IEnumerable<InvocationExpressionSyntax> MayRunImpersonated()
            {
                var entry = new Active?[_graph.Blocks.Length];
                entry[0] = Active.None;
                bool changed = true;
                for (int pass = 0; changed && pass < 100; pass++)
                {
                    changed = false;
                    foreach (BasicBlock block in _graph.Blocks)
                    {
                        if (entry[block.Ordinal] is not Active state)
                        {
                            continue;
                        }

                        state = Apply(block, state);
                        foreach (ControlFlowBranch? branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
                        {
                            if (branch?.Destination is not { } destination)
                            {
                                continue;
                            }

                            Active leaving = state;
                            foreach (ControlFlowRegion region in branch.FinallyRegions)
                            {
                                for (int i = region.FirstBlockOrdinal; i <= region.LastBlockOrdinal; i++)
                                {
                                    leaving = Apply(_graph.Blocks[i], leaving);
                                }
                            }

                            Active joined = (entry[destination.Ordinal] ?? Active.None) | leaving;
                            if (entry[destination.Ordinal] != joined)
                            {
                                entry[destination.Ordinal] = joined;
                                changed = true;
                            }
                        }
                    }
                }

                return _impersonated;
            }

            private Active Apply(BasicBlock block, Active state)
            {
                foreach (IOperation operation in block.Operations)
                {
                    state = Apply(operation, state);
                }

                return block.BranchValue is null ? state : Apply(block.BranchValue, state);
            }

            /// <summary>Children first (the order they run in), then the operation itself.</summary>
            private Active Apply(IOperation operation, Active state)
            {
                if (operation is IFlowAnonymousFunctionOperation)
                {
                    return state;
                }

                foreach (IOperation child in operation.ChildOperations)
                {
                    state = Apply(child, state);
                }

                if (operation is IInvocationOperation && operation.Syntax is InvocationExpressionSyntax call)
                {
                    switch (_semantics.OperationOf(call, CancellationToken.None))
                    {
                        case ApiOperation.Impersonate:
                            return state | (_semantics.EndsAtSignal(call, CancellationToken.None) ? Active.CallContext : Active.Token);
                        case ApiOperation.Revert:
                            return Active.None;
                        case ApiOperation.Signal:
                            return state & ~Active.CallContext;
                        default:
                            if (state != Active.None)
                            {
                                _impersonated.Add(call);
                            }

                            break;
                    }
                }

                return state;
            }
        }

        /// <summary>What may be impersonating: the COM call context (which a signal completes), another identity, or both.</summary>
        [System.Flags]
        private enum Active
        {
            None = 0,
            CallContext = 1,
            Token = 2,
        }
    }
}
