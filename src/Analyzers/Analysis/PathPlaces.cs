using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// Finds, in the syntax, the places a finding's path goes through, so the message can name them and the
    /// diagnostic can carry them as additional locations: the statement a branch to the exit is (a <c>return</c>,
    /// a <c>yield break</c>, the closing brace at the end of the body), a loop's back edge.
    /// </summary>
    internal static class PathPlaces
    {
        /// <summary>Where <paramref name="branch"/> (a branch to the exit block) returns, in the source.</summary>
        public static Location ExitOf(ControlFlowBranch branch, ControlFlowGraph graph)
        {
            return ExitNodeOrToken(branch) is { } found ? found.GetLocation()! : EndOf(graph);
        }

        private static SyntaxNodeOrToken? ExitNodeOrToken(ControlFlowBranch branch)
        {
            BasicBlock block = branch.Source;
            bool conditional = ReferenceEquals(branch, block.ConditionalSuccessor);
            if (!conditional && block.BranchValue is { } value && block.ConditionKind == ControlFlowConditionKind.None)
            {
                // `return value;` (or an expression body): the statement that returns it.
                return StatementOf(value.Syntax) is ReturnStatementSyntax returnStatement ? returnStatement : value.Syntax;
            }

            if (block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue is { } condition)
            {
                bool taken = conditional == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
                return AfterCondition(condition.Syntax, taken);
            }

            for (int i = block.Operations.Length - 1; i >= 0; i--)
            {
                if (StatementOf(block.Operations[i].Syntax) is { } statement)
                {
                    return FirstExit(statement) ?? NextAfter(statement);
                }
            }

            // A block with nothing in it (where paths join): where its first predecessor goes on.
            foreach (ControlFlowBranch predecessor in block.Predecessors)
            {
                if (predecessor.Source.Ordinal < block.Ordinal && !ReferenceEquals(predecessor.Source, block))
                {
                    BasicBlock source = predecessor.Source;
                    if (source.ConditionKind != ControlFlowConditionKind.None && source.BranchValue is { } predecessorCondition)
                    {
                        return AfterCondition(predecessorCondition.Syntax, ReferenceEquals(predecessor, source.ConditionalSuccessor) == (source.ConditionKind == ControlFlowConditionKind.WhenTrue));
                    }

                    if (source.Operations.Length > 0 && StatementOf(source.Operations[source.Operations.Length - 1].Syntax) is { } statement)
                    {
                        return NextAfter(statement);
                    }
                }
            }

            return null;
        }

        /// <summary>Where a branch on <paramref name="condition"/> goes when it is <paramref name="value"/> and that leaves the method.</summary>
        private static SyntaxNodeOrToken? AfterCondition(SyntaxNode condition, bool value)
        {
            // The value of the whole condition of the statement the test belongs to, when it is known.
            SyntaxNode node = condition;
            bool? whole = value;
            while (node.Parent is ExpressionSyntax parent && whole is { } current)
            {
                switch (parent)
                {
                    case ParenthesizedExpressionSyntax:
                        break;
                    case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression }:
                        whole = !current;
                        break;
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } and:
                        whole = ReferenceEquals(and.Left, node) ? false : current;
                        break;
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } or:
                        whole = ReferenceEquals(or.Left, node) ? true : current;
                        break;
                    default:
                        whole = null;
                        break;
                }

                node = parent;
            }

            StatementSyntax? statement = StatementOf(condition);
            switch (statement)
            {
                case IfStatementSyntax ifStatement when ifStatement.Condition.Span.Contains(condition.Span):
                    SyntaxNode? whenTrue = FirstExit(ifStatement.Statement);
                    SyntaxNode? whenFalse = ifStatement.Else is { } elseClause ? FirstExit(elseClause.Statement) : null;
                    if (whole == true || (whole is null && whenTrue is not null))
                    {
                        return whenTrue ?? (ifStatement.Statement is BlockSyntax { Statements.Count: 0 } ? NextAfter(ifStatement) : ifStatement.Statement);
                    }

                    return whenFalse ?? (ifStatement.Else is null ? NextAfter(ifStatement) : ifStatement.Else.Statement);
                case SwitchStatementSyntax switchStatement:
                    if (value && condition.AncestorsAndSelf().OfType<SwitchSectionSyntax>().FirstOrDefault() is { Statements.Count: > 0 } section
                        && FirstExit(section.Statements[0]) is { } inSection)
                    {
                        return inSection;
                    }

                    // No case matched: the default section, if there is one.
                    if (!value && switchStatement.Sections.FirstOrDefault(s => s.Labels.Any(l => l is DefaultSwitchLabelSyntax)) is { Statements.Count: > 0 } defaultSection
                        && FirstExit(defaultSection.Statements[0]) is { } inDefault)
                    {
                        return inDefault;
                    }

                    return NextAfter(statement);
                case null:
                    return null;
                default:
                    return FirstExit(statement) ?? NextAfter(statement);
            }
        }

        /// <summary>The statement a node belongs to (not crossing into an enclosing function).</summary>
        private static StatementSyntax? StatementOf(SyntaxNode node)
        {
            for (SyntaxNode? current = node; current is not null; current = current.Parent)
            {
                if (current is StatementSyntax statement)
                {
                    return statement;
                }

                if (current is AnonymousFunctionExpressionSyntax or MemberDeclarationSyntax or ArrowExpressionClauseSyntax)
                {
                    return null;
                }
            }

            return null;
        }

        /// <summary><paramref name="statement"/> itself if it leaves the method (<c>return</c>, <c>yield break</c>), or a block's first statement if that does.</summary>
        private static SyntaxNode? FirstExit(StatementSyntax statement) => statement switch
        {
            ReturnStatementSyntax => statement,
            YieldStatementSyntax { RawKind: (int)SyntaxKind.YieldBreakStatement } => statement,
            BlockSyntax block => block.Statements.FirstOrDefault(s => s is not LocalFunctionStatementSyntax) is { } first ? FirstExit(first) : null,
            _ => null,
        };

        /// <summary>What runs after <paramref name="statement"/> completes: the next statement, or the end of the body (its closing brace).</summary>
        private static SyntaxNodeOrToken? NextAfter(StatementSyntax statement)
        {
            SyntaxNode current = statement;
            while (current.Parent is { } parent)
            {
                switch (parent)
                {
                    case BlockSyntax block:
                        int index = block.Statements.IndexOf((StatementSyntax)current);
                        for (int i = index + 1; i < block.Statements.Count; i++)
                        {
                            if (block.Statements[i] is not LocalFunctionStatementSyntax)
                            {
                                return FirstExit(block.Statements[i]) ?? block.Statements[i];
                            }
                        }

                        if (block.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax)
                        {
                            return block.CloseBraceToken;
                        }

                        break;
                    case SwitchSectionSyntax section:
                        int at = section.Statements.IndexOf((StatementSyntax)current);
                        if (at + 1 < section.Statements.Count)
                        {
                            return FirstExit(section.Statements[at + 1]) ?? section.Statements[at + 1];
                        }

                        current = section.Parent!;
                        continue;
                    case StatementSyntax or ElseClauseSyntax or CatchClauseSyntax or FinallyClauseSyntax:
                        break;
                    default:
                        return null;
                }

                current = parent;
            }

            return null;
        }

        private static Location EndOf(ControlFlowGraph graph) =>
            graph.OriginalOperation.Syntax.GetLastToken().GetLocation();

        /// <summary>
        /// The back edge of the innermost loop that contains both calls, when <paramref name="earlier"/> runs in an
        /// earlier iteration than <paramref name="later"/> (it stands after it in the loop): the end of the loop's body,
        /// or the <c>while</c> of a <c>do</c> loop.
        /// </summary>
        public static Location? BackEdgeBetween(SyntaxNode earlier, SyntaxNode later)
        {
            if (earlier.SyntaxTree != later.SyntaxTree || earlier.SpanStart <= later.SpanStart)
            {
                return null;
            }

            foreach (SyntaxNode ancestor in later.Ancestors())
            {
                if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                {
                    return null;
                }

                if (ancestor.Span.Contains(earlier.Span) && BackEdgeOf(ancestor) is { } backEdge)
                {
                    return backEdge;
                }
            }

            return null;
        }

        /// <summary>The back edge of the innermost loop that contains <paramref name="node"/> in the same function, if one does.</summary>
        public static Location? BackEdgeAround(SyntaxNode node)
        {
            foreach (SyntaxNode ancestor in node.Ancestors())
            {
                if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                {
                    return null;
                }

                if (BackEdgeOf(ancestor) is { } backEdge)
                {
                    return backEdge;
                }
            }

            return null;
        }

        /// <summary>Where a loop statement goes back to its next iteration: the end of its body, or the <c>while</c> of a <c>do</c> loop.</summary>
        private static Location? BackEdgeOf(SyntaxNode loop) => loop switch
        {
            DoStatementSyntax doLoop => doLoop.WhileKeyword.GetLocation(),
            WhileStatementSyntax whileLoop => whileLoop.Statement.GetLastToken().GetLocation(),
            ForStatementSyntax forLoop => forLoop.Statement.GetLastToken().GetLocation(),
            CommonForEachStatementSyntax forEachLoop => forEachLoop.Statement.GetLastToken().GetLocation(),
            _ => null,
        };

        /// <summary>The syntax an exception may come from, as the message shows it: a <c>throw</c> statement for its expression.</summary>
        public static SyntaxNode ThrowerSyntax(IOperation thrower) =>
            thrower.Syntax.Parent is ThrowStatementSyntax throwStatement ? throwStatement : thrower.Syntax;

        /// <summary>Short source text for a message: the code itself, or its start when it is long.</summary>
        public static string Text(SyntaxNode node)
        {
            string text = string.Join(" ", node.ToString().Split(new[] { '\r', '\n', ' ', '\t' }, System.StringSplitOptions.RemoveEmptyEntries));
            if (text.Length <= 40)
            {
                return text;
            }

            if (node is InvocationExpressionSyntax invocation && invocation.Expression.ToString().Length <= 36)
            {
                return invocation.Expression + "(…)";
            }

            return text.Substring(0, 37) + "…";
        }

        /// <summary>The 1-based line a location starts on.</summary>
        public static int LineOf(Location location) => location.GetLineSpan().StartLinePosition.Line + 1;
    }
}
