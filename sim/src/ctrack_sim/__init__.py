"""ctrack-sim: know the accuracy of dynamic number insertion.

A traffic model with ground truth (`model`), the real pool policy and the real join driven on a
simulated clock (`engine`), accuracy metrics and reports (`metrics`, `report`), the pool planner
(`plan`) and what-if estimates over a recorded log (`what_if`).
"""
