// sQuid module: being written (this session)
