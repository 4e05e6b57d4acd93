/** The bench's NestJS worker module (bench/lib/bench-module.mjs) with the root's Nest packages. */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { defineBenchModule } from './bench-module.mjs';

export function benchModule(pattern, recorder, extras, workMs = 0) {
  return defineBenchModule({ Controller, Module, EventPattern }, pattern, recorder, undefined, extras, workMs);
}
