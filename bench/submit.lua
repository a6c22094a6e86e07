-- wrk script: every request submits a market order.
wrk.method = "POST"
wrk.path = "/api/orders/execute"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputToken":"SOL","outputToken":"USDC","amount":"1.5","slippage":0.01}'
