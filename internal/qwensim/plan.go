package qwensim

import "strings"

// A coding agent's real work is several tool calls in a row: read a file,
// edit it, run a command, each chosen after the previous result came back.
// The simulator plays a model that keeps to a plan the user spelled out:
// "use read with {…}, then use edit with {…}, then use bash with {…}" is
// answered with the first step's calls; each turn that brings results back
// is answered with the next step's calls, and the last step's results with
// the usual acknowledgement. The plan is the thread's (as a model's memory of
// the conversation is): a history replayed into a new chat starts none, and
// a turn asked again from the same parent (a retry of an answer that broke
// off) takes the same step, as the answer it replaces did.

// planStep separates the steps of a plan.
const planStep = "then use "

// planSteps splits a message into its steps ("use …" each); a message
// without "then use " is one step.
func planSteps(msg string) []string {
	parts := strings.Split(msg, planStep)
	steps := []string{parts[0]}
	for _, p := range parts[1:] {
		steps = append(steps, "use "+p)
	}
	return steps
}

// nextStep returns the plan's next step and drops it from the chat's plan.
func nextStep(c *chat) (string, bool) {
	if len(c.plan) == 0 {
		return "", false
	}
	step := c.plan[0]
	c.plan = c.plan[1:]
	return step, true
}

// threadPlan returns what the latest answer on the thread ending at id left
// of its plan: a chat's latest answer may be on another branch, or one that
// broke off and is asked again.
func threadPlan(c *chat, id string) []string {
	for ; id != ""; id = c.nodes[id].parent {
		if n := c.nodes[id]; n.role == "assistant" {
			return n.plan
		}
	}
	return nil
}
